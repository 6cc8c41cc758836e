// `mimco` (Zhou et al., MimCo: Masked Image Modeling Pre-training with Contrastive Teacher): the
// student sees the visible tokens and a decoder predicts the contrastive teacher's features. Both
// of MimCo's targets are reconstructed with a contrastive loss: patch level, each hidden token's
// prediction must pick its own teacher token among the sample's hidden tokens; image level, the
// mean of the predictions over every token must pick its own clip's pooled teacher feature among
// the batch's. Cosine similarities over a temperature, cross-entropy to the matching entry.
import DuetModels
import DuetNN
import DuetTensor

public struct MimCo: DistillationObjective, MaskedStudent {
    public let modality: MaskedAutoencoder.Modality
    public let store: ParameterStore
    public let encoder: any MultiMaskTower
    public let grid: TokenGrid
    public let decoder: FeatureDecoder
    public let teacher: TeacherEncoder
    public let masking: any MaskingStrategy
    public let temperature: Float
    /// The weight of the image-level term (the patch-level one has weight 1).
    public let imageLevelWeight: Float

    public var name: String { "mimco" }

    public init(modality: MaskedAutoencoder.Modality, store: ParameterStore, grid: TokenGrid, encoderSize: TransformerSize,
                decoderSize: TransformerSize, teacher: TeacherEncoder, masking: any MaskingStrategy, temperature: Float,
                imageLevelWeight: Float = 1, dropPath: Float = 0) {
        precondition(temperature > 0, "temperature must be positive")
        self.modality = modality
        self.store = store
        self.grid = grid
        encoder = MAEEncoder(store.builder, grid: grid, size: encoderSize, classToken: false, dropPath: dropPath)
        decoder = FeatureDecoder(store.builder, suffix: "feat", encoderDim: encoderSize.dim, grid: grid, size: decoderSize,
                                 targetDim: teacher.dim)
        self.teacher = teacher
        self.masking = masking
        self.temperature = temperature
        self.imageLevelWeight = imageLevelWeight
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let x = try studentInput(batch)
        let mask = drawMask(x, context: context)
        let target = teacher.features(x)
        let prediction = decoder.allTokens(encoder.encodeVisible(x, mask: mask, context: context.forward), mask: mask, context: context.forward)
        let patch = contrastiveLoss(prediction.gatheringTokens(mask.masked), target.gatheringTokens(mask.masked))
        let image = contrastiveLoss(prediction.mean(axis: 1).reshaped([1, x.shape[0], teacher.dim]),
                                    noGrad { target.mean(axis: 1) }.reshaped([1, x.shape[0], teacher.dim]))
        let loss = patch + image * imageLevelWeight
        return ObjectiveOutput(loss: loss, metrics: ["loss": Double(loss.item), "loss_patch": Double(patch.item),
                                                     "loss_image": Double(image.item)])
    }

    public func teacherPasses(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> [(name: String, run: () -> Tensor)] {
        let x = try studentInput(batch)
        return [("teacher", { teacher.features(x) })]
    }

    /// InfoNCE from predictions to targets within each group: [G, M, D] each; row m of group g is
    /// scored against every target of g by cosine / temperature, the right one being m.
    func contrastiveLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let (groups, rows) = (prediction.shape[0], prediction.shape[1])
        let logits = Tensor.matmul(prediction.l2Normalized(), target.l2Normalized(), transposeB: true) * (1 / temperature)
        let labels = (0..<groups * rows).map { Int32($0 % rows) }
        return crossEntropyLoss(logits.reshaped([groups * rows, rows]), labels: labels, ignoreIndex: nil)
    }
}
