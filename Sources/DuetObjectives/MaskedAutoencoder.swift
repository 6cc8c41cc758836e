// `mae-audio` (AudioMAE) and `mae-video` (VideoMAE): reconstruct the hidden patches from the
// visible ones; MSE to per-patch-normalised targets on masked tokens only.
import DuetModels
import DuetNN
import DuetTensor

public struct MaskedAutoencoder: MaskedStudent {
    public typealias Modality = DuetObjectives.Modality

    public let modality: Modality
    public let store: ParameterStore
    public let encoder: any MultiMaskTower
    public let grid: TokenGrid
    public let decoder: MAEDecoder
    public let masking: any MaskingStrategy
    /// MAE's norm_pix_loss: targets normalised per patch (the papers' default, on).
    public let normalizeTargets: Bool

    public var name: String { "mae-\(modality.rawValue)" }

    /// Builds the encoder and decoder in `store` under the MAE names. `tower` builds an encoder
    /// other than MAE's ViT over `grid` (its tokens must be `grid`'s, as the lip-reading tower's
    /// are a frame grid's).
    public init(modality: Modality, store: ParameterStore, grid: TokenGrid, encoderSize: TransformerSize,
                decoderSize: TransformerSize, masking: any MaskingStrategy, normalizeTargets: Bool = true, dropPath: Float = 0,
                tower: (@Sendable (ParameterBuilder) -> any MultiMaskTower)? = nil) {
        precondition(masking.tokens == grid.tokens, "masking over \(masking.tokens) tokens for a grid of \(grid.tokens)")
        self.modality = modality
        self.store = store
        self.grid = grid
        encoder = tower.map { $0(store.builder) } ?? MAEEncoder(store.builder, grid: grid, size: encoderSize, dropPath: dropPath)
        decoder = MAEDecoder(store.builder, encoderDim: encoderSize.dim, grid: grid, size: decoderSize,
                             classToken: encoder.leadingTokens == 1)
        self.masking = masking
        self.normalizeTargets = normalizeTargets
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let x = try studentInput(batch)
        let mask = drawMask(x, context: context)
        let latent = encoder.encodeVisible(x, mask: mask, context: context.forward)
        let prediction = decoder(latent, mask: mask, context: context.forward)
        let loss = mseLoss(prediction, targets(x), mask: mask.maskedFlags())
        return ObjectiveOutput(loss: loss, metrics: ["loss": Double(loss.item)])
    }

    /// The reconstruction targets: AudioMAE normalises each patch over its values; VideoMAE
    /// each channel of each tubelet with the standard deviation outside the epsilon.
    public func targets(_ x: Tensor) -> Tensor {
        Self.targets(x, grid: grid, modality: modality, normalize: normalizeTargets)
    }

    /// The reconstruction targets of `x` cut by `grid` (shared with MAViL's reconstruction).
    public static func targets(_ x: Tensor, grid: TokenGrid, modality: Modality, normalize: Bool) -> Tensor {
        let patches = grid.patchify(x).detached()
        guard normalize else { return patches }
        switch modality {
        case .audio: return normalizedPatchTargets(patches)
        case .video: return Patchify.videoMAETargets(patches, channels: grid.channels)
        }
    }
}
