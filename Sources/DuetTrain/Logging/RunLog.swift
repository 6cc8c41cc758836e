// Where a run reports: the console (live bar or plain lines), RUN/train.log (every plain line and
// message), RUN/metrics.jsonl and the TensorBoard events, on the `log_every` cadence.
import Foundation

public final class RunLog {
    public let totalSteps: Int
    public let logEvery: Int
    /// Samples one optimizer step consumes (batch × accumulation), for samples/s.
    public let samplesPerStep: Int
    public let console: ConsoleProgress?
    public let metrics: MetricsLog?
    public let events: TensorBoardWriter?
    private let text: FileHandle?
    /// Since the last logged line: its time and the steps taken.
    private var window = (start: 0.0, steps: 0)
    /// Since this process began training: its time and first step.
    private var session = (start: 0.0, step: 0)

    /// Logs of `run` (none when nil) and `console` (none when nil). A resumed run
    /// (`resumingAfter` its checkpoint's step) keeps the metrics up to that step.
    public init(run: RunFolder?, totalSteps: Int, logEvery: Int, samplesPerStep: Int, console: ConsoleProgress?,
                resumingAfter step: Int? = nil) throws(TrainError) {
        self.totalSteps = totalSteps
        self.logEvery = max(1, logEvery)
        self.samplesPerStep = samplesPerStep
        self.console = console
        if let run {
            try run.create()
            metrics = try MetricsLog(file: run.metricsFile, resumingAfter: step)
            events = try TensorBoardWriter(folder: run.url)
            if let step { events?.markRestart(step: step + 1) }
            if step == nil || !FileManager.default.fileExists(atPath: run.logFile.path) {
                _ = FileManager.default.createFile(atPath: run.logFile.path, contents: nil)
            }
            text = try? FileHandle(forWritingTo: run.logFile)
            _ = try? text?.seekToEnd()
        } else {
            (metrics, events, text) = (nil, nil, nil)
        }
    }

    deinit { try? text?.close() }

    /// Training (re)starts after `step` completed steps.
    public func begin(at step: Int) {
        let now = Date().timeIntervalSinceReferenceDate
        window = (now, 0)
        session = (now, step)
    }

    /// After every step: the bar each time, the metrics every `log_every` steps and at the end.
    public func record(_ result: StepResult) {
        let now = Date().timeIntervalSinceReferenceDate
        window.steps += 1
        let done = result.step - session.step
        let eta = done > 0 ? (now - session.start) / Double(done) * Double(totalSteps - result.step) : nil
        let windowRate = Double(window.steps * samplesPerStep) / max(now - window.start, 1e-9)
        console?.update(step: result.step, loss: result.loss, lr: result.lr, samplesPerSecond: windowRate, eta: eta)
        guard result.step % logEvery == 0 || result.step == totalSteps else { return }
        let record = StepMetrics(step: result.step, loss: result.loss, lr: result.lr, gradNorm: result.gradNorm,
                                 samplesPerSecond: windowRate, skipped: result.skippedSoFar, objective: result.metrics)
        metrics?.append(record)
        events?.add(scalars: [("train/loss", result.loss), ("train/lr", result.lr), ("train/grad_norm", result.gradNorm),
                              ("train/samples_per_s", windowRate)]
                        + result.metrics.sorted { $0.key < $1.key }.map { ("train/" + $0.key, $0.value) }, step: result.step)
        let line = "step \(result.step)/\(totalSteps)  loss \(format(result.loss, digits: 4))  lr \(String(format: "%.3e", result.lr))"
            + "  grad_norm \(format(result.gradNorm, digits: 3))  \(format(windowRate, digits: 1)) samples/s"
            + "  skipped \(result.skippedSoFar)  ETA \(formatDuration(eta))"
        if console?.style == .lines { console?.line(line) }
        writeText(line)
        window = (now, 0)
    }

    public func evaluated(step: Int, loss: Double) {
        metrics?.appendEvaluation(step: step, loss: loss)
        events?.add(scalars: [("eval/loss", loss)], step: step)
        message("step \(step): held-out loss \(format(loss, digits: 4))")
    }

    /// Values measured at `step` (linear probes, retrieval): metrics.jsonl, TensorBoard and a line.
    public func measured(step: Int, _ values: [String: Double]) {
        metrics?.appendValues(step: step, values)
        events?.add(scalars: values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, step: step)
        message("step \(step): " + values.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value, digits: 4))" }.joined(separator: "  "))
    }

    /// A line for people: on the console and in train.log.
    public func message(_ line: String) {
        console?.line(line)
        writeText(line)
    }

    public func end() { console?.finish() }

    private func writeText(_ line: String) {
        try? text?.write(contentsOf: Data((line + "\n").utf8))
    }
}
