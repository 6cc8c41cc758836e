// The objectives whose trained model is one encoder over one modality (`mae-audio`, `mae-video`
// and the students of `mvd`, `distill-audio` and `mimco`): how they read their input and encode it.
// The encoder is a ViT (MAE's) or, for video, RAVEn's lip-reading tower (one token a frame).
import DuetModels
import DuetNN
import DuetTensor

public protocol MaskedStudent: PretrainingObjective {
    /// The modality the encoder reads.
    var modality: Modality { get }
    /// The encoder the objective trains, run on the visible tokens in training.
    var encoder: any MultiMaskTower { get }
    /// The encoder's tokens as patches of its input (whole frames for the lip-reading tower):
    /// the input's shape, the decoders' positions and the reconstruction targets.
    var grid: TokenGrid { get }
    var masking: any MaskingStrategy { get }
}

extension MaskedStudent {
    public var encodedModalities: [Modality] { [modality] }

    /// The patch tokens of the whole input after the encoder's final norm, [B, N, D], without a
    /// graph (the class token left out, as MAE's linear probes read them).
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        guard modality == self.modality else { throw .cannotEncode(objective: name, modality: modality.rawValue) }
        let x = try studentInput(batch)
        return noGrad { encoder.droppingLeadingTokens(encoder(x, context: context)) }
    }

    /// The step's mask for the batch `x`, from the stream `mask.<modality>`: a student and
    /// anything that must see the same tokens (dmae's teacher) draw the same mask.
    func drawMask(_ x: Tensor, context: StepContext) -> TokenMask {
        masking.mask(batch: x.shape[0], stream: context.stream("mask.\(modality.rawValue)"))
    }

    /// The batch's input of the encoder's modality, checked against its token grid.
    func studentInput(_ batch: ObjectiveBatch) throws(ObjectiveError) -> Tensor {
        try batch.input(modality, grid: grid, objective: name)
    }
}
