// The objective protocol every pretraining and distillation recipe conforms to: a batch becomes a
// loss and named metrics; a hook after each optimizer step updates teachers.
import DuetNN
import DuetTensor

/// The two streams of an audio-visual clip.
public enum Modality: String, Sendable, CaseIterable {
    case audio, video
}

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
    /// Label indices per sample (a word's class, a transcript's symbols), when the data has labels.
    public var labels: [[Int32]]?

    public init(audio: Tensor? = nil, video: Tensor? = nil, audioLengths: [Int]? = nil, videoLengths: [Int]? = nil,
                ids: [String] = [], labels: [[Int32]]? = nil) {
        self.audio = audio
        self.video = video
        self.audioLengths = audioLengths
        self.videoLengths = videoLengths
        self.ids = ids
        self.labels = labels
    }

    public var batchSize: Int { audio?.shape[0] ?? video?.shape[0] ?? 0 }

    /// The input of one modality, or nil when the batch lacks it.
    public func input(_ modality: Modality) -> Tensor? { modality == .audio ? audio : video }
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
    /// Stores besides `store` that change during training and so belong in every checkpoint, by
    /// file stem: `["teacher": ema]` is saved as `teacher.safetensors` and restored on resume.
    /// Frozen teachers loaded from a path in the config are not listed.
    var checkpointedStores: [String: ParameterStore] { get }
    /// The modalities `encode` can run.
    var encodedModalities: [Modality] { get }
    /// The encoder's token features `[B, N, D]` of the whole, unmasked input of one modality, with
    /// no graph: what linear probes (mean-pooled over N) and retrieval read.
    func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor
    /// One row per clip, [B, E], in the space audio↔video retrieval compares (by cosine), with no
    /// graph; `tokens` is what `encode` returned for this batch and modality. Default: the
    /// tokens' mean over N. An objective whose aligned space lies elsewhere says so here (MAViL:
    /// its contrastive heads; RAVEn: its video→audio predictor against the audio teacher).
    func retrievalFeatures(_ batch: ObjectiveBatch, tokens: Tensor, modality: Modality,
                           context: ForwardContext) throws(ObjectiveError) -> Tensor
}

extension PretrainingObjective {
    public func afterOptimizerStep(_ step: Int, totalSteps: Int) {}

    public var checkpointedStores: [String: ParameterStore] { [:] }

    public var encodedModalities: [Modality] { [] }

    public func retrievalFeatures(_ batch: ObjectiveBatch, tokens: Tensor, modality: Modality,
                                  context: ForwardContext) throws(ObjectiveError) -> Tensor {
        noGrad { tokens.mean(axis: 1) }
    }

    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        throw .cannotEncode(objective: name, modality: modality.rawValue)
    }

    /// `batch`'s input of `modality`, or `missingModality`.
    public func require(_ modality: Modality, in batch: ObjectiveBatch) throws(ObjectiveError) -> Tensor {
        guard let x = batch.input(modality) else { throw .missingModality(objective: name, modality: modality.rawValue) }
        return x
    }
}

public enum ObjectiveError: Error, CustomStringConvertible, Sendable {
    /// The batch lacks a modality the objective needs.
    case missingModality(objective: String, modality: String)
    /// The batch's shape does not fit the model the config built.
    case shapeMismatch(objective: String, what: String, expected: [Int], got: [Int])
    /// A collapse monitor fell below its abort threshold (data2vec 2.0's min_target_var,
    /// min_pred_var): the representation has collapsed and training further is wasted.
    case collapsed(objective: String, monitor: String, value: Double, threshold: Double, step: Int)
    /// The objective has no encoder for that modality (a probe asked for it).
    case cannotEncode(objective: String, modality: String)
    /// A training batch too small for a layer that normalises over the batch (a batch norm over
    /// pooled features needs two samples or more per channel).
    case batchTooSmall(objective: String, size: Int, needed: Int, why: String)

    public var description: String {
        switch self {
        case let .missingModality(objective, modality):
            return "\(objective) needs \(modality) in every batch, but the batch has none (check data.modalities)"
        case let .shapeMismatch(objective, what, expected, got):
            return "\(objective): \(what) has shape \(got), the model expects \(expected) (check the model and data sizes in the config)"
        case let .collapsed(objective, monitor, value, threshold, step):
            return "\(objective): \(monitor) is \(value) < \(threshold) at step \(step): the representation collapsed; "
                + "stopping (lower the learning rate, raise the EMA start, or check the data)"
        case let .cannotEncode(objective, modality):
            return "\(objective) has no \(modality) encoder to probe"
        case let .batchTooSmall(objective, size, needed, why):
            return "\(objective): a training batch of \(size) clip\(size == 1 ? "" : "s"), \(why) needs at least \(needed) "
                + "(raise train.batch_size, or fewer clips failed to decode with data.on_bad_file: skip)"
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
