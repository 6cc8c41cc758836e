// The objective protocol every pretraining and distillation recipe conforms to: a batch becomes a
// loss and named metrics; a hook after each optimizer step updates teachers.
import DuetNN
import DuetTensor

/// One batch as objectives see it (DuetTrain turns the loader's batches into this).
public struct ObjectiveBatch: Sendable {
    /// Filterbanks as one-channel images [B, 1, frames, mels], normalised.
    public var audio: Tensor?
    /// Frames [B, C, T, H, W], normalised.
    public var video: Tensor?
    /// Valid frames per sample (audio frames, video frames), for padded batches.
    public var audioLengths: [Int]?
    public var videoLengths: [Int]?
    public var ids: [String]

    public init(audio: Tensor? = nil, video: Tensor? = nil, audioLengths: [Int]? = nil, videoLengths: [Int]? = nil, ids: [String] = []) {
        self.audio = audio
        self.video = video
        self.audioLengths = audioLengths
        self.videoLengths = videoLengths
        self.ids = ids
    }

    public var batchSize: Int { audio?.shape[0] ?? video?.shape[0] ?? 0 }
}

/// What a batch turned into.
public struct ObjectiveOutput {
    /// The scalar to minimise.
    public var loss: Tensor
    /// Named values to log (the loss parts, accuracies, ...).
    public var metrics: [String: Double]

    public init(loss: Tensor, metrics: [String: Double]) {
        self.loss = loss
        self.metrics = metrics
    }
}

/// Where a step stands: its number and the random stream masks and dropout draw from.
public struct StepContext: Sendable {
    public var step: Int
    public var forward: ForwardContext

    public init(step: Int, forward: ForwardContext) {
        self.step = step
        self.forward = forward
    }

    /// A stream for one purpose of this step ("mask.audio", ...), independent of the others.
    public func stream(_ purpose: String) -> RandomStream { forward.stream(for: purpose) }
}

public protocol PretrainingObjective {
    /// The recipe's name in configs (`mae-audio`, `mavil`, ...).
    var name: String { get }
    /// The parameters the optimizer trains (a teacher's live elsewhere).
    var store: ParameterStore { get }
    /// The loss and metrics of one batch, with the graph recorded for backward.
    func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput
    /// Runs after each optimizer step (EMA teachers update here).
    func afterOptimizerStep(_ step: Int, totalSteps: Int)
}

extension PretrainingObjective {
    public func afterOptimizerStep(_ step: Int, totalSteps: Int) {}
}

public enum ObjectiveError: Error, CustomStringConvertible, Sendable {
    /// The batch lacks a modality the objective needs.
    case missingModality(objective: String, modality: String)
    /// The batch's shape does not fit the model the config built.
    case shapeMismatch(objective: String, what: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case let .missingModality(objective, modality):
            return "\(objective) needs \(modality) in every batch, but the batch has none (check data.modalities)"
        case let .shapeMismatch(objective, what, expected, got):
            return "\(objective): \(what) has shape \(got), the model expects \(expected) (check the model and data sizes in the config)"
        }
    }
}

/// An objective that learns from frozen teachers: it can run its teachers alone, as a step does,
/// so that their share of a step can be measured.
public protocol DistillationObjective: PretrainingObjective {
    /// The teacher passes one step of `batch` makes, each by its teacher's name, ready to run
    /// (without a graph) as the step runs them.
    func teacherPasses(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> [(name: String, run: () -> Tensor)]
}
