// `mvd` (Wang et al., Masked Video Distillation) and `distill-audio`: a student ViT sees the
// visible tokens of a tube-masked clip (or a masked filterbank) and one decoder per teacher
// regresses that frozen teacher's features at the hidden tokens, smooth-L1 (β = 1) each, the
// losses weighted and summed: MVD's spatial-temporal co-teaching with an image and a video
// teacher, or one big audio tower teaching a small one.
import DuetModels
import DuetNN
import DuetTensor

public struct MaskedVideoDistillation: DistillationObjective, MaskedStudent {
    public let name: String
    public let modality: MaskedAutoencoder.Modality
    public let store: ParameterStore
    /// MVD's student encoder: a ViT with no class token, fixed sine-cosine positions and a final
    /// norm, or the lip-reading tower.
    public let encoder: any MultiMaskTower
    public let grid: TokenGrid
    public let targets: [TeacherTarget]
    public let masking: any MaskingStrategy
    /// LayerNorm (no affine, eps 1e-6) on the teachers' features (MVD's --norm_feature).
    public let normalizeTargets: Bool
    /// The weight of a second smooth-L1 term on the visible tokens (the decoders' predictions
    /// there against the teachers' features, as DMAE aligns visible tokens). MVD has none: 0.
    public let visibleLossWeight: Float

    /// Builds the student in `store` (names at the root as MAE's encoder) and, for each teacher,
    /// a decoder of `decoderSize` named after it.
    public init(name: String, modality: MaskedAutoencoder.Modality, store: ParameterStore, grid: TokenGrid,
                encoderSize: TransformerSize, decoderSize: TransformerSize,
                teachers: [(name: String, teacher: any FrozenTeacher, alignment: TeacherTarget.Alignment, weight: Float)],
                masking: any MaskingStrategy, normalizeTargets: Bool, visibleLossWeight: Float = 0, dropPath: Float = 0,
                tower: (@Sendable (ParameterBuilder) -> any MultiMaskTower)? = nil) {
        precondition(!teachers.isEmpty, "masked feature distillation needs a teacher")
        precondition(masking.tokens == grid.tokens, "masking over \(masking.tokens) tokens for a grid of \(grid.tokens)")
        self.name = name
        self.modality = modality
        self.store = store
        self.grid = grid
        encoder = tower.map { $0(store.builder) }
            ?? MAEEncoder(store.builder, grid: grid, size: encoderSize, classToken: false, dropPath: dropPath)
        targets = teachers.map {
            TeacherTarget(name: $0.name, teacher: $0.teacher, alignment: $0.alignment,
                          decoder: FeatureDecoder(store.builder, suffix: $0.name, encoderDim: encoderSize.dim, grid: grid,
                                                  size: decoderSize, targetDim: $0.teacher.dim),
                          weight: $0.weight)
        }
        self.masking = masking
        self.normalizeTargets = normalizeTargets
        self.visibleLossWeight = visibleLossWeight
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let x = try studentInput(batch)
        let mask = drawMask(x, context: context)
        let latent = encoder.droppingLeadingTokens(encoder.encodeVisible(x, mask: mask, context: context.forward))
        var loss: Tensor?
        var metrics: [String: Double] = [:]
        for target in targets {
            let goal = target.features(of: x, layerNorm: normalizeTargets)
            var part: Tensor
            if visibleLossWeight > 0 {
                let predicted = target.decoder.allTokens(latent, mask: mask, context: context.forward)
                part = smoothL1Loss(predicted.gatheringTokens(mask.masked), goal.gatheringTokens(mask.masked))
                let visible = smoothL1Loss(predicted.gatheringTokens(mask.keep), goal.gatheringTokens(mask.keep))
                metrics["loss_\(target.name)_visible"] = Double(visible.item)
                part = part + visible * visibleLossWeight
            } else {
                part = smoothL1Loss(target.decoder(latent, mask: mask, context: context.forward), goal.gatheringTokens(mask.masked))
            }
            metrics["loss_\(target.name)"] = Double(part.item)
            let weighted = target.weight == 1 ? part : part * target.weight
            loss = loss.map { $0 + weighted } ?? weighted
        }
        metrics["loss"] = Double(loss!.item)
        return ObjectiveOutput(loss: loss!, metrics: metrics)
    }

    public func teacherPasses(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> [(name: String, run: () -> Tensor)] {
        let x = try studentInput(batch)
        return targets.map { target in (target.name, { target.features(of: x, layerNorm: normalizeTargets) }) }
    }
}
