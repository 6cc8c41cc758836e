// state.json: what a checkpoint holds besides tensors — the step, the data position, the random
// counters, the counts of skipped steps, the resolved config and the Duet version.
import Foundation

/// Everything needed, with the model and optimizer tensors, to continue a run as if it had never
/// stopped. Written as JSON with snake_case keys; the config as the YAML's keys.
public struct TrainingState: Codable, Equatable, Sendable {
    public var duetVersion = DuetVersion.current
    /// Optimizer steps completed (skipped ones included): the next step is number `step`.
    public var step: Int
    /// The epoch of `position`, repeated for people reading the file.
    public var epoch: Int
    /// The batch the training source draws next.
    public var position: BatchPosition
    /// The keys of the per-step random streams.
    public var random: RandomCounters
    /// `optim.name` of the run that wrote `optimizer.safetensors`.
    public var optimizer: String
    public var skippedSteps: Int
    public var nonfiniteInARow: Int
    public var config: RunConfig

    public init(step: Int, position: BatchPosition, random: RandomCounters, optimizer: String, skippedSteps: Int,
                nonfiniteInARow: Int, config: RunConfig) {
        self.step = step
        epoch = position.epoch
        self.position = position
        self.random = random
        self.optimizer = optimizer
        self.skippedSteps = skippedSteps
        self.nonfiniteInARow = nonfiniteInARow
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case duetVersion = "duet_version", step, epoch, position, random, optimizer
        case skippedSteps = "skipped_steps", nonfiniteInARow = "nonfinite_in_a_row", config
    }

    /// Reads `file`; a truncated or foreign file is a `corrupt` error naming it.
    public static func read(from file: URL) throws(CheckpointError) -> TrainingState {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw .io(path: file.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(TrainingState.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw .corrupt(file: file.path, reason: context.underlyingError.map { "not JSON (\($0.localizedDescription))" }
                ?? context.debugDescription)
        } catch let DecodingError.keyNotFound(key, _) {
            throw .corrupt(file: file.path, reason: "no \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .corrupt(file: file.path, reason: "\(path): \(context.debugDescription)")
        } catch {
            throw .corrupt(file: file.path, reason: "\(error)")
        }
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every field is a plain value or a config whose encoding cannot fail.
        return try! encoder.encode(self) + Data("\n".utf8)
    }
}

/// The counters of the counter-based generator: step `s` of rank `r` draws its masks and dropout
/// from `RandomStream(seed: seed).derived(s, r)`, so these and the step fix every draw to come.
public struct RandomCounters: Codable, Equatable, Sendable {
    public var seed: Int
    public var rank: Int
    /// The step whose stream is drawn next.
    public var step: Int

    public init(seed: Int, rank: Int, step: Int) {
        self.seed = seed
        self.rank = rank
        self.step = step
    }
}
