// What the loader does with a file it cannot decode, and what it reports: every failure named by
// sample, file and reason, counted by reason per epoch.
import DuetMedia

/// The policy for a sample whose file fails to decode.
public enum OnBadFile: String, Sendable, Equatable, CaseIterable {
    /// Leave the sample out of its batch, count it by reason and report it.
    case skip
    /// Throw `DataError.badFile` for the first one.
    case fail
}

/// One sample that failed to decode.
public struct SampleFailure: Sendable, Equatable {
    /// The manifest index and id of the sample.
    public let index: Int
    public let id: String
    public let error: MediaError

    public init(index: Int, id: String, error: MediaError) {
        self.index = index
        self.id = id
        self.error = error
    }

    public var file: String { error.file }
    /// `MediaError.reasonCode`: `not-found`, `unreadable`, `no-stream`, `truncated`, ...
    public var reason: String { error.reasonCode }
    /// The whole message, naming the file.
    public var message: String { error.description }
}

/// Bad files met in one epoch (of this rank), in the order their batches were handed out.
public struct EpochReport: Sendable, Equatable {
    public let epoch: Int
    /// Samples of the epoch's batches handed out so far, good and bad.
    public internal(set) var samples: Int = 0
    public internal(set) var failures: [SampleFailure] = []

    public init(epoch: Int) { self.epoch = epoch }

    /// Failures per reason code.
    public var countsByReason: [String: Int] {
        failures.reduce(into: [:]) { $0[$1.reason, default: 0] += 1 }
    }

    /// One line for the log: `epoch 3: 2 of 512 samples skipped (not-found 1, truncated 1)`.
    public var summary: String {
        let reasons = countsByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "epoch \(epoch): \(failures.count) of \(samples) samples skipped" + (reasons.isEmpty ? "" : " (\(reasons))")
    }
}
