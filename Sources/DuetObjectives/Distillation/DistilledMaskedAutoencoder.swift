// `dmae` (Bai et al., Masked Autoencoders Enable Efficient Knowledge Distillers): a student MAE
// reconstructs the hidden patches (MAE's normalised-pixel MSE) and, through a Linear projection,
// matches a frozen teacher's intermediate features: L1 between the L2-normalised teacher tokens
// after block `teacherBlock` and the L2-normalised projection of the student's tokens after block
// `studentBlock`, both run on the same visible tokens (the teacher only up to that block).
import DuetModels
import DuetNN
import DuetTensor

public struct DistilledMaskedAutoencoder: DistillationObjective {
    public let mae: MaskedAutoencoder
    public let teacher: TeacherEncoder
    /// DMAE's `aligned_feature_projection_heads.0` (fc-1layer): student width → teacher width.
    public let projection: Linear
    public let studentBlock: Int
    /// The weight of the feature term (DMAE adds it to the pixel loss with weight 1).
    public let distillationWeight: Float

    public var name: String { "dmae" }
    public var store: ParameterStore { mae.store }
    /// The teacher's features are taken after its last built block.
    public var teacherBlock: Int { teacher.lastBlock }

    public init(modality: MaskedAutoencoder.Modality, store: ParameterStore, grid: TokenGrid, encoderSize: TransformerSize,
                decoderSize: TransformerSize, masking: any MaskingStrategy, teacher: TeacherEncoder, studentBlock: Int,
                distillationWeight: Float = 1, normalizeTargets: Bool = true, dropPath: Float = 0) {
        precondition(studentBlock >= 0 && studentBlock < encoderSize.depth, "student block \(studentBlock) of \(encoderSize.depth)")
        mae = MaskedAutoencoder(modality: modality, store: store, grid: grid, encoderSize: encoderSize, decoderSize: decoderSize,
                                masking: masking, normalizeTargets: normalizeTargets, dropPath: dropPath)
        projection = Linear(store.builder.scope("aligned_feature_projection_heads").scope(0),
                            inFeatures: encoderSize.dim, outFeatures: teacher.dim)
        self.teacher = teacher
        self.studentBlock = studentBlock
        self.distillationWeight = distillationWeight
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let x = try batch.input(mae.modality, grid: mae.grid, objective: name)
        let mask = mae.drawMask(x, context: context)
        let (latent, aligned) = encode(x, mask: mask, context: context.forward)
        let prediction = mae.decoder(latent, mask: mask, context: context.forward)
        let pixel = mseLoss(prediction, mae.targets(x), mask: mask.maskedFlags())
        // DMAE compares every token the two encoders run, the class token too when both have one.
        let studentClass = mae.encoder.leadingTokens == 1
        let bothClass = studentClass && teacher.hasClassToken
        let target = teacher.features(x, keep: mask.keep, classToken: bothClass).l2Normalized()
        let student = bothClass || !studentClass ? aligned : aligned.narrowed(axis: 1, start: 1, length: mask.keep.count)
        let feature = smoothL1Loss(projection(student).l2Normalized(), target, beta: 0)
        let loss = pixel + feature * distillationWeight
        return ObjectiveOutput(loss: loss, metrics: ["loss": Double(loss.item), "loss_pixel": Double(pixel.item),
                                                     "loss_feature": Double(feature.item)])
    }

    public var encodedModalities: [Modality] { mae.encodedModalities }

    /// The student MAE's patch tokens, as `mae-video` / `mae-audio` give them to probes.
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        try mae.encode(batch, modality: modality, context: context)
    }

    public func teacherPasses(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> [(name: String, run: () -> Tensor)] {
        let x = try batch.input(mae.modality, grid: mae.grid, objective: name)
        let mask = mae.drawMask(x, context: context)
        let both = mae.encoder.leadingTokens == 1 && teacher.hasClassToken
        return [("teacher", { teacher.features(x, keep: mask.keep, classToken: both) })]
    }

    /// The student encoder run by hand to keep block `studentBlock`'s output: (the normalised
    /// last tokens for the decoder, the aligned block's tokens).
    func encode(_ x: Tensor, mask: TokenMask, context: ForwardContext) -> (latent: Tensor, aligned: Tensor) {
        var tokens = mae.encoder.cloneTokens(x, clones: 1, mask: mask, context: context).gatheringTokens(mask.keep)
        if let classToken = mae.encoder.classToken { tokens = classToken.prepend(to: tokens) }
        var aligned = tokens
        for (index, block) in mae.encoder.encoder.blocks.enumerated() {
            tokens = block(tokens, context: context)
            if index == studentBlock { aligned = tokens }
        }
        return (mae.encoder.encoder.norm.map { $0(tokens) } ?? tokens, aligned)
    }
}
