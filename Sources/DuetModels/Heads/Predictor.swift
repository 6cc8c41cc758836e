// The predictor of RAVEn, BRAVEn and their kin: a small transformer over a student's tokens
// whose masked positions are replaced by a learned mask token, with fixed positions, then a
// Linear to the target width. As USR / BRAVEn's `MaskEmbedding` predictor: the input Linear runs
// first, the mask token replaces its output at masked steps.
// Names: embed, mask_token [1, 1, D], pos_embed [1, T, D], blocks.N, norm, head.
import DuetNN
import DuetTensor

public struct Predictor: Sendable {
    public let embed: Linear
    public let maskToken: LearnedToken
    public let positions: FixedPositionEmbedding
    public let blocks: TransformerEncoder
    public let head: Linear

    /// A predictor from `inFeatures`-wide tokens over `steps` time steps to `outFeatures`-wide
    /// targets, `size` wide and deep. The mask token starts as USR's: N(0, 0.02²).
    public init(_ b: ParameterBuilder, inFeatures: Int, outFeatures: Int, steps: Int, size: TransformerSize,
                blocks options: BlockOptions = BlockOptions()) {
        embed = Linear(b.scope("embed"), inFeatures: inFeatures, outFeatures: size.dim)
        maskToken = LearnedToken(b, name: "mask_token", dim: size.dim)
        positions = .timeSteps(b, steps: steps, dim: size.dim)
        blocks = TransformerEncoder(b, size: size, options: options)
        head = Linear(b.scope("head"), inFeatures: size.dim, outFeatures: outFeatures)
    }

    /// `x` [B, T, inFeatures]; `masked` [B, T, 1], 1 where the step was masked (its embedding is
    /// replaced by the mask token) and 0 elsewhere. Returns [B, T, outFeatures].
    public func callAsFunction(_ x: Tensor, masked: Tensor, context: ForwardContext, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        let h = embed(x)
        let mixed = h * (1 - masked) + maskToken.token.value * masked
        return head(blocks(positions(mixed), context: context, keyPadding: keyPadding))
    }
}
