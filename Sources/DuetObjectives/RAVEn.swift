// `raven` (Haliassos et al., "Jointly Learning Visual and Auditory Speech Representations from
// Raw Data", 2022): audio and video students with EMA teachers that see the unmasked clip; the
// audio student predicts the audio and the video teachers' targets, the video student only the
// audio teacher's; loss: the negative cosine similarity on masked frames. BRAVEn's targets (the
// block average, instance-normalised) by option.
import DuetModels
import DuetNN
import DuetTensor

public struct RAVEn: PretrainingObjective {
    /// The students' towers and the three predictors: what the optimizer trains. The towers come
    /// first (`audio_encoder.`, `video_encoder.`), so the teacher mirrors the arena's first part.
    public let store: ParameterStore
    /// The teachers' towers, by the students' names.
    public let teacherStore: ParameterStore
    public let audio: any EncoderTower
    public let video: any EncoderTower
    public let audioTeacher: any EncoderTower
    public let videoTeacher: any EncoderTower
    public let videoToAudio: Predictor
    public let audioToAudio: Predictor
    public let audioToVideo: Predictor
    public let options: Options
    /// Video frames per time step (1 for the lip-reading tower, the tubelet's length for a ViT).
    public let videoFramesPerStep: Int
    /// Time steps per clip: video tokens along time, one audio token each.
    public let steps: Int
    /// One sample's filterbanks [1, frames, mels] and frames [C, T, H, W], as the towers expect.
    public let audioInput: [Int]
    public let videoInput: [Int]
    let ema: EMATeacher

    public var name: String { "raven" }

    /// `towers` builds the audio and video towers under the root builder it is given (scopes
    /// `audio_encoder` and `video_encoder`); it runs once for the students and once for the
    /// teachers (`isTeacher`: build without stochastic depth). `audioInput` [1, frames, mels] and
    /// `videoInput` [C, T, H, W] are one sample's shapes; T / `videoFramesPerStep` time steps.
    /// Finalises `store`.
    public init(store: ParameterStore, audioInput: [Int], videoInput: [Int], videoFramesPerStep: Int = 1, predictors: PredictorSizes,
                options: Options = Options(),
                towers: (_ root: ParameterBuilder, _ isTeacher: Bool) -> (audio: any EncoderTower, video: any EncoderTower)) {
        precondition(audioInput.count == 3 && videoInput.count == 4 && videoInput[1] % videoFramesPerStep == 0,
                     "RAVEn: audio input \(audioInput), video input \(videoInput), \(videoFramesPerStep) frames a step")
        let steps = videoInput[1] / videoFramesPerStep
        precondition(audioInput[1] % steps == 0, "RAVEn: \(audioInput[1]) filterbank frames for \(steps) steps")
        self.store = store
        (audio, video) = towers(store.builder, false)
        precondition(store.parameters.allSatisfy { $0.name.hasPrefix("audio_encoder.") || $0.name.hasPrefix("video_encoder.") },
                     "RAVEn's towers must be built under audio_encoder and video_encoder")
        let b = store.builder
        let filterbankWidth = Self.filterbankStepWidth(audioInput: audioInput, steps: steps)
        videoToAudio = Predictor(b.scope("predictor_v2a"), inFeatures: video.dim,
                                 outFeatures: options.videoToAudioTargets == .filterbank ? filterbankWidth : audio.dim, steps: steps,
                                 size: predictors.videoToAudio)
        audioToAudio = Predictor(b.scope("predictor_a2a"), inFeatures: audio.dim, outFeatures: audio.dim, steps: steps,
                                 size: predictors.audioToAudio)
        audioToVideo = Predictor(b.scope("predictor_a2v"), inFeatures: audio.dim, outFeatures: video.dim, steps: steps,
                                 size: predictors.audioToVideo)
        store.finalize()
        teacherStore = ParameterStore(seed: store.seed)
        (audioTeacher, videoTeacher) = towers(teacherStore.builder, true)
        teacherStore.finalize()
        do {
            ema = try EMATeacher(teacher: teacherStore, student: store, leadingOnly: true)
        } catch {
            preconditionFailure("the teacher towers differ from the students' (the tower builder must build the same): \(error)")
        }
        self.options = options
        self.steps = steps
        self.videoFramesPerStep = videoFramesPerStep
        self.audioInput = audioInput
        self.videoInput = videoInput
    }

    /// Filterbank values per time step, its frames side by side: the width of filterbank targets.
    static func filterbankStepWidth(audioInput: [Int], steps: Int) -> Int { audioInput[1] / steps * audioInput[2] }

    public var checkpointedStores: [String: ParameterStore] { ["teacher": teacherStore] }

    public var encodedModalities: [Modality] { [.audio, .video] }

    /// The student tower's tokens of the unmasked input (the towers fine-tuning starts from).
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        let x = try require(modality, in: batch)
        let expected = [x.shape[0]] + (modality == .audio ? audioInput : videoInput)
        guard x.shape == expected else { throw .shapeMismatch(objective: name, what: modality.rawValue, expected: expected, got: x.shape) }
        let tower = modality == .audio ? audio : video
        return noGrad { tower(x, context: context) }
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let parts = try forward(batch, context: context)
        return ObjectiveOutput(loss: parts.loss, metrics: parts.metrics)
    }

    /// The teachers' momentum for the update after step `step` (0-based): the schedule at the
    /// number of steps done, as Lightning's global step reads after the optimizer step.
    public func momentum(afterStep step: Int, totalSteps: Int) -> Double {
        options.momentumSchedule(totalSteps: totalSteps).value(at: step + 1)
    }

    public func afterOptimizerStep(_ step: Int, totalSteps: Int) {
        ema.update(from: store, momentum: momentum(afterStep: step, totalSteps: totalSteps))
    }
}
