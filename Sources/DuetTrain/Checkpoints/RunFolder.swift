// A run's folder: the resolved config, the logs and metrics, the TensorBoard events and the
// checkpoints, each at a fixed name.
import Foundation

/// `RUN/config.yaml`, `RUN/metrics.jsonl`, `RUN/train.log`, `RUN/events.out.tfevents.*` and
/// `RUN/checkpoints/step-NNNNNN/`.
public struct RunFolder: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    public var checkpoints: CheckpointFolder { CheckpointFolder(url: url.appendingPathComponent("checkpoints", isDirectory: true)) }
    public var configFile: URL { url.appendingPathComponent("config.yaml") }
    public var metricsFile: URL { url.appendingPathComponent("metrics.jsonl") }
    public var logFile: URL { url.appendingPathComponent("train.log") }

    /// Creates the folder (and its parents) when missing.
    public func create() throws(TrainError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .runFolder(path: url.path, reason: "cannot be created: \(error.localizedDescription)")
        }
    }

    /// Writes the resolved config, every key included, as the run uses it.
    public func writeConfig(_ config: RunConfig) throws(TrainError) {
        do {
            try config.yaml.write(to: configFile, atomically: true, encoding: .utf8)
        } catch {
            throw .runFolder(path: configFile.path, reason: "cannot be written: \(error.localizedDescription)")
        }
    }
}
