// MVD's feature decoder: the student's visible tokens projected to the decoder width (down_X),
// mask tokens put in the hidden positions, fixed sine-cosine positions, blocks, a norm and a
// Linear head to the teacher's width, read out at the hidden tokens only. Names as MVD's
// student: down_img, mask_token_img, pos_embed_img, decoder_img.blocks.N, decoder_img.norm,
// decoder_img.head (`_vid` for the video teacher's decoder).
import DuetNN
import DuetTensor

public struct FeatureDecoder: Sendable {
    public let down: Linear
    public let maskToken: LearnedToken
    public let positions: FixedPositionEmbedding
    public let blocks: TransformerEncoder
    public let head: Linear
    public let tokens: Int

    /// `suffix` names the decoder (`img`, `vid`, `aud`); `targetDim` is the teacher's width.
    public init(_ b: ParameterBuilder, suffix: String, encoderDim: Int, grid: TokenGrid, size: TransformerSize, targetDim: Int) {
        down = Linear(b.scope("down_\(suffix)"), inFeatures: encoderDim, outFeatures: size.dim)
        maskToken = LearnedToken(b, name: "mask_token_\(suffix)", dim: size.dim, initializer: .truncatedNormal(std: 0.02))
        positions = FixedPositionEmbedding(b, name: "pos_embed_\(suffix)", tokens: grid.tokens, dim: size.dim,
                                           values: grid.positions(dim: size.dim, classToken: false))
        let decoder = b.scope("decoder_\(suffix)")
        blocks = TransformerEncoder(decoder, dim: size.dim, depth: size.depth, heads: size.heads,
                                    options: BlockOptions(mlpRatio: size.mlpRatio))
        head = Linear(decoder.scope("head"), inFeatures: size.dim, outFeatures: targetDim)
        tokens = grid.tokens
    }

    /// `latent` is the student's visible tokens [B, K, D] (no class token, as MVD's student);
    /// returns the predicted teacher features of the hidden tokens, [B, M, targetDim], in the
    /// order of `mask.masked`.
    public func callAsFunction(_ latent: Tensor, mask: TokenMask, context: ForwardContext) -> Tensor {
        // MVD normalises and projects only the hidden tokens; LayerNorm is per token, so taking
        // them after the decoder's final norm gives the same values.
        head(decoded(latent, mask: mask, context: context).gatheringTokens(mask.masked))
    }

    /// The prediction at every token, visible ones included, [B, N, targetDim] (MimCo pools it).
    public func allTokens(_ latent: Tensor, mask: TokenMask, context: ForwardContext) -> Tensor {
        head(decoded(latent, mask: mask, context: context))
    }

    /// The decoder's normalised output at every token, [B, N, decoder width].
    func decoded(_ latent: Tensor, mask: TokenMask, context: ForwardContext) -> Tensor {
        let visible = down(latent)
        let base = maskToken.repeated(batch: visible.shape[0], tokens: tokens)
        return blocks(positions(visible.scatteringTokens(mask.keep, into: base)), context: context)
    }
}
