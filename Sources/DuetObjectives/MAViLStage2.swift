// `mavil` stage 2 (MAViL's self-training): a frozen stage-1 model sees the whole clip and its
// fused audio and video tokens become the targets; a fresh student with masked input regresses
// them through its own fusion blocks and decoders (MSE on the masked tokens). The student has
// the teacher's layout, so a stage-2 run can serve as the next stage's teacher.
import DuetModels
import DuetNN
import DuetTensor

public struct MAViLStage2: MAViLStudent {

    public let store: ParameterStore
    public let towers: MAViLTowers
    public let audioDecoder: MAEDecoder
    public let videoDecoder: MAEDecoder
    /// The frozen stage-1 (or earlier stage-2) model, in its own store; never trained.
    public let teacher: MAViLTowers
    public let teacherStore: ParameterStore
    public let audioMasking: any MaskingStrategy
    public let videoMasking: any MaskingStrategy

    public var name: String { "mavil" }

    /// `teacher` is built in `teacherStore` (loaded and finalised by the caller) over the same
    /// grids; the decoders predict the teacher's width.
    public init(store: ParameterStore, audioGrid: TokenGrid, videoGrid: TokenGrid, audioSize: TransformerSize,
                videoSize: TransformerSize, fusionDepth: Int, decoderSize: TransformerSize, teacher: MAViLTowers,
                teacherStore: ParameterStore, audioMasking: any MaskingStrategy, videoMasking: any MaskingStrategy,
                dropPath: (audio: Float, video: Float) = (0, 0), videoTower: (@Sendable (ParameterBuilder) -> any MultiMaskTower)? = nil) {
        precondition(teacher.audio.grid == audioGrid && teacher.videoGrid == videoGrid, "the teacher's grids differ from the student's")
        self.store = store
        let b = store.builder
        towers = MAViLTowers(b, audioGrid: audioGrid, videoGrid: videoGrid, audioSize: audioSize, videoSize: videoSize,
                             fusionDepth: fusionDepth, dropPath: dropPath, videoTower: videoTower)
        audioDecoder = MAEDecoder(b.scope("audio_decoder"), encoderDim: audioSize.dim, grid: audioGrid, size: decoderSize,
                                  outFeatures: teacher.dim)
        videoDecoder = MAEDecoder(b.scope("video_decoder"), encoderDim: videoSize.dim, grid: videoGrid, size: decoderSize,
                                  classToken: towers.video.leadingTokens == 1, outFeatures: teacher.dim)
        self.teacher = teacher
        self.teacherStore = teacherStore
        teacherStore.setTrainable(false)
        self.audioMasking = audioMasking
        self.videoMasking = videoMasking
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let x = try inputs(batch)
        var timer = PartTimer()
        // The teacher runs in evaluation mode and records nothing.
        let targets = try timer.time("teacher") {
            noGrad { teacher.fusedFeatures(audio: x.audio, video: x.video, context: .evaluation) }
        }
        let view = try maskedView(x, view: nil, context: context, timer: &timer)
        let (lossA, lossV) = try reconstructionLosses(view, targets: targets, context: context, timer: &timer)
        let loss = lossA + lossV
        var metrics = timer.milliseconds
        metrics["loss"] = Double(loss.item)
        metrics["rec_audio"] = Double(lossA.item)
        metrics["rec_video"] = Double(lossV.item)
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }
}
