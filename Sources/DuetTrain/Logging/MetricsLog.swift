// metrics.jsonl: one JSON object per logged step (and one per evaluation), appended and flushed as
// the run goes, so a crash loses nothing written and a resume continues the same file.
import Foundation

/// The values logged for one step.
public struct StepMetrics: Equatable, Sendable {
    public var step: Int
    public var loss: Double
    public var lr: Double
    public var gradNorm: Double
    public var samplesPerSecond: Double
    /// Steps skipped so far for a non-finite loss or gradient.
    public var skipped: Int
    /// The objective's own values (loss parts, collapse monitors), by name.
    public var objective: [String: Double] = [:]

    /// `{"step":10,"loss":…,"lr":…,"grad_norm":…,"samples_per_s":…,"skipped":0}` then the
    /// objective's values in name order; a non-finite value is `null`.
    public var json: String {
        "{\"step\":\(step),\"loss\":\(jsonNumber(loss)),\"lr\":\(jsonNumber(lr)),\"grad_norm\":\(jsonNumber(gradNorm)),"
            + "\"samples_per_s\":\(jsonNumber(samplesPerSecond)),\"skipped\":\(skipped)"
            + objective.sorted { $0.key < $1.key }.map { ",\(jsonString($0.key)):\(jsonNumber($0.value))" }.joined() + "}"
    }
}

/// Appends records to `RUN/metrics.jsonl`.
public final class MetricsLog {
    public let file: URL
    private let handle: FileHandle

    /// Opens `file` for appending. A fresh run (`resumingAfter` nil) empties it; a resumed one
    /// keeps the records up to its checkpoint's step and drops later ones (written after the
    /// checkpoint by the run that stopped), so the file reads as one uninterrupted run.
    public init(file: URL, resumingAfter step: Int?) throws(TrainError) {
        let kept = step.map { Self.records(in: file, upTo: $0) } ?? ""
        do {
            try Data(kept.utf8).write(to: file, options: .atomic)
            handle = try FileHandle(forWritingTo: file)
            try handle.seekToEnd()
        } catch {
            throw .runFolder(path: file.path, reason: "cannot write the metrics: \(error.localizedDescription)")
        }
        self.file = file
    }

    deinit { try? handle.close() }

    public func append(_ metrics: StepMetrics) { appendLine(metrics.json) }

    /// `{"step":200,"eval_loss":…}`.
    public func appendEvaluation(step: Int, loss: Double) {
        appendLine("{\"step\":\(step),\"eval_loss\":\(jsonNumber(loss))}")
    }

    /// `{"step":200,"probe/video_acc":…,…}`: named values measured at a step (probes, retrieval).
    public func appendValues(step: Int, _ values: [String: Double]) {
        appendLine("{\"step\":\(step)" + values.sorted { $0.key < $1.key }.map { ",\(jsonString($0.key)):\(jsonNumber($0.value))" }.joined() + "}")
    }

    // Logging must not stop a run: a failed write loses that record only.
    private func appendLine(_ line: String) {
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The complete lines of `file` whose step is at most `step`.
    private static func records(in file: URL, upTo step: Int) -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: true).filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let lineStep = object["step"] as? Int else { return false }
            return lineStep <= step
        }.map { $0 + "\n" }.joined()
    }
}

/// A JSON string literal of a metric name (names are plain ASCII; quotes and backslashes escaped).
func jsonString(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// A JSON number in Swift's shortest round-tripping form, or `null` when not finite.
func jsonNumber(_ value: Double) -> String {
    value.isFinite ? "\(value)" : "null"
}
