// `mae-image`: MAE on single frames (He et al.), so an image teacher for MVD can be pretrained in
// Duet itself. Each clip gives its frames at the tubelet stride (the frames MVD's image teacher
// later sees); every frame is one image with its own random mask.
import DuetModels
import DuetNN
import DuetTensor

public struct MaskedImageAutoencoder: PretrainingObjective {
    /// MAE over the frame grid (names at the root: patch_embed, cls_token, pos_embed, blocks,
    /// norm, decoder_*), the encoder a 2-D ViT that loads as an image teacher.
    public let mae: MaskedAutoencoder
    public let frameStride: Int

    public var name: String { "mae-image" }
    public var store: ParameterStore { mae.store }

    /// `grid` is one frame: `.image(channels, size, size, patch)`.
    public init(store: ParameterStore, grid: TokenGrid, encoderSize: TransformerSize, decoderSize: TransformerSize,
                masking: any MaskingStrategy, frameStride: Int, normalizeTargets: Bool = true, dropPath: Float = 0) {
        mae = MaskedAutoencoder(modality: .audio, store: store, grid: grid, encoderSize: encoderSize, decoderSize: decoderSize,
                                masking: masking, normalizeTargets: normalizeTargets, dropPath: dropPath)
        self.frameStride = frameStride
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let frames = try self.frames(batch)
        return try mae(ObjectiveBatch(audio: frames, ids: batch.ids), context: context)
    }

    public var encodedModalities: [Modality] { [.video] }

    /// Each clip's frames through the encoder (class tokens left out), regrouped per clip:
    /// [B, T'·N, D], so a probe pools over every patch of every frame it saw.
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        guard modality == .video else { throw .cannotEncode(objective: name, modality: modality.rawValue) }
        let frames = try self.frames(batch)
        let tokens = try mae.encode(ObjectiveBatch(audio: frames), modality: .audio, context: context)
        return VideoFrames.regrouped(tokens, clips: batch.batchSize)
    }

    /// The batch's frames at the stride, as images, after checking the clip fits the model.
    public func frames(_ batch: ObjectiveBatch) throws(ObjectiveError) -> Tensor {
        guard let video = batch.video else { throw .missingModality(objective: name, modality: "video") }
        guard case let .image(c, h, w, _) = mae.grid, video.rank == 5, video.shape[1] == c, video.shape[3] == h,
              video.shape[4] == w, video.shape[2] % frameStride == 0 else {
            let expected = mae.grid.inputShape(batch: video.shape[0])
            throw .shapeMismatch(objective: name, what: "video (frames every \(frameStride))",
                                 expected: [expected[0], expected[1], frameStride * max(1, (video.rank == 5 ? video.shape[2] : 1) / frameStride)] + expected.suffix(2),
                                 got: video.shape)
        }
        return VideoFrames.sampled(video, stride: frameStride)
    }
}
