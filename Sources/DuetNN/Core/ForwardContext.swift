// What a forward pass needs besides its input: training or evaluation (dropout, drop-path,
// batch norm), and the random stream of this step, split per layer by name.
import DuetTensor

public struct ForwardContext: Sendable {
    public var isTraining: Bool
    /// The stream of this step (keyed by seed, step and rank by the trainer).
    public var stream: RandomStream

    public init(isTraining: Bool, stream: RandomStream = RandomStream(seed: 0)) {
        self.isTraining = isTraining
        self.stream = stream
    }

    /// Evaluation: no dropout, running statistics.
    public static let evaluation = ForwardContext(isTraining: false)

    /// The stream of one layer, by its parameter path.
    public func stream(for path: String) -> RandomStream {
        stream.derived(stableHash(path))
    }
}
