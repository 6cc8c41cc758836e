// Progress on the console: on a terminal one live line (step, bar, loss, samples/s, ETA) redrawn
// in place with \r; otherwise (a pipe, a log file, CI) one plain line every `log_every` steps.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class ConsoleProgress {
    public enum Style: Sendable {
        /// One line redrawn in place.
        case bar
        /// Plain lines, each ending in a newline.
        case lines
    }

    public let style: Style
    public let totalSteps: Int
    private let write: (String) -> Void
    /// The bar on screen now, to redraw after a message.
    private var bar = ""
    private var lastDraw = 0.0

    /// `style` nil picks `.bar` when standard output is a terminal and `.lines` otherwise.
    public init(totalSteps: Int, style: Style? = nil, write: @escaping (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }) {
        self.totalSteps = totalSteps
        self.style = style ?? (isatty(STDOUT_FILENO) == 1 ? .bar : .lines)
        self.write = write
    }

    /// After each step. The bar is redrawn at most ten times a second (and at the last step).
    public func update(step: Int, loss: Double, lr: Double, samplesPerSecond: Double, eta: Double?) {
        guard style == .bar else { return }
        let now = Date().timeIntervalSinceReferenceDate
        guard now - lastDraw >= 0.1 || step == totalSteps else { return }
        lastDraw = now
        let width = 24
        let filled = totalSteps > 0 ? min(width, width * step / totalSteps) : width
        let gauge = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        bar = "step \(step)/\(totalSteps) [\(gauge)] loss \(format(loss, digits: 4)) lr \(String(format: "%.2e", lr)) "
            + "\(format(samplesPerSecond, digits: 1)) samples/s ETA \(formatDuration(eta))"
        write("\r\u{1B}[K" + bar)
    }

    /// A line of its own (a log line, an evaluation, a warning), above the bar on a terminal.
    public func line(_ text: String) {
        if style == .bar && !bar.isEmpty {
            write("\r\u{1B}[K" + text + "\n" + bar)
        } else {
            write(text + "\n")
        }
    }

    /// Ends the bar's line, so what follows starts on a fresh one.
    public func finish() {
        if style == .bar && !bar.isEmpty { write("\n") }
        bar = ""
    }
}

/// `value` with `digits` decimals, or `nan` / `inf`.
func format(_ value: Double, digits: Int) -> String {
    value.isFinite ? String(format: "%.\(digits)f", value) : "\(value)"
}

/// `1h02m`, `2m31s`, `12s`, or `?` when unknown.
func formatDuration(_ seconds: Double?) -> String {
    guard let seconds, seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}
