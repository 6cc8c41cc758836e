// What MAViL's two stages share: a student (towers, masking, decoders) that reads a clip's audio
// and video, encodes one masked view of it, and decodes the fused view against targets.
import DuetModels
import DuetNN
import DuetTensor

/// A masked view of a clip: each modality's mask and its visible tokens through its tower
/// ([B, leading + K, D] each, audio's class token first).
struct MAViLMaskedView {
    let masks: (audio: TokenMask, video: TokenMask)
    let encoded: (audio: Tensor, video: Tensor)
}

public protocol MAViLStudent: PretrainingObjective {
    var towers: MAViLTowers { get }
    var audioDecoder: MAEDecoder { get }
    var videoDecoder: MAEDecoder { get }
    var audioMasking: any MaskingStrategy { get }
    var videoMasking: any MaskingStrategy { get }
}

extension MAViLStudent {
    /// The unimodal encoder's patch tokens of the whole clip, [B, N, D], without a graph.
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        try towers.patchTokens(batch, modality: modality, objective: name, context: context)
    }

    public var encodedModalities: [Modality] { [.audio, .video] }

    /// The batch's audio and video, checked against the towers' grids and against each other.
    func inputs(_ batch: ObjectiveBatch) throws(ObjectiveError) -> (audio: Tensor, video: Tensor) {
        let xa = try batch.input(.audio, grid: towers.audio.grid, objective: name)
        let xv = try batch.input(.video, grid: towers.videoGrid, objective: name)
        let b = xa.shape[0]
        guard xv.shape[0] == b else { throw .shapeMismatch(objective: name, what: "video batch", expected: [b], got: [xv.shape[0]]) }
        return (xa, xv)
    }

    /// Draws each modality's mask (from `mask.audio`, `mask.video`, suffixed `.view` when the
    /// step draws several views) and runs the towers on the visible tokens.
    func maskedView(_ x: (audio: Tensor, video: Tensor), view: Int?, context: StepContext,
                    timer: inout PartTimer) throws(ObjectiveError) -> MAViLMaskedView {
        let b = x.audio.shape[0], suffix = view.map { ".\($0)" } ?? ""
        let maskA = audioMasking.mask(batch: b, stream: context.stream("mask.audio" + suffix))
        let maskV = videoMasking.mask(batch: b, stream: context.stream("mask.video" + suffix))
        let encoded = try timer.time("encoders") {
            towers.encode(audio: x.audio, video: x.video, masks: (maskA, maskV), context: context.forward)
        }
        return MAViLMaskedView(masks: (maskA, maskV), encoded: encoded)
    }

    /// The view's tokens through the fusion blocks and each modality's decoder: MSE to `targets`
    /// on the masked tokens only.
    func reconstructionLosses(_ view: MAViLMaskedView, targets: (audio: Tensor, video: Tensor), context: StepContext,
                              timer: inout PartTimer) throws(ObjectiveError) -> (audio: Tensor, video: Tensor) {
        let fused = try timer.time("fusion") {
            towers.fusion(audio: view.encoded.audio, video: view.encoded.video, context: context.forward)
        }
        let (maskA, maskV) = view.masks
        return try timer.time("decoders") {
            (mseLoss(audioDecoder(fused.audio, mask: maskA, context: context.forward), targets.audio, mask: maskA.maskedFlags()),
             mseLoss(videoDecoder(fused.video, mask: maskV, context: context.forward), targets.video, mask: maskV.maskedFlags()))
        }
    }
}
