// MAE's decoder: the encoder's tokens projected to the decoder width, mask tokens put back in the
// hidden positions, fixed positions, blocks, and a Linear to pixel values per patch. Names and
// shapes as MAE: decoder_embed, mask_token, decoder_pos_embed [1, 1 + N, D], decoder_blocks.N,
// decoder_norm, decoder_pred.
import DuetNN
import DuetTensor

public struct MAEDecoder: Sendable {
    public let embed: Linear
    public let maskToken: LearnedToken
    public let positions: FixedPositionEmbedding
    public let blocks: TransformerEncoder
    public let pred: Linear
    public let tokens: Int
    public let hasClassToken: Bool

    /// `outFeatures` is the width predicted per token: the patch's pixel values (MAE) unless a
    /// feature-regression objective (MAViL's stage 2) asks for a teacher's width.
    public init(_ b: ParameterBuilder, encoderDim: Int, grid: TokenGrid, size: TransformerSize, classToken: Bool = true,
                outFeatures: Int? = nil) {
        embed = Linear(b.scope("decoder_embed"), inFeatures: encoderDim, outFeatures: size.dim)
        maskToken = LearnedToken(b, name: "mask_token", dim: size.dim)
        positions = FixedPositionEmbedding(b, name: "decoder_pos_embed", tokens: grid.tokens + (classToken ? 1 : 0), dim: size.dim,
                                           values: grid.positions(dim: size.dim, classToken: classToken))
        blocks = TransformerEncoder(b, dim: size.dim, depth: size.depth, heads: size.heads,
                                    options: BlockOptions(mlpRatio: size.mlpRatio),
                                    blocksName: "decoder_blocks", normName: "decoder_norm")
        pred = Linear(b.scope("decoder_pred"), inFeatures: size.dim, outFeatures: outFeatures ?? grid.patchValues)
        tokens = grid.tokens
        hasClassToken = classToken
    }

    /// `latent` is the encoder's output [B, (1 +) K, D]; returns the prediction of every patch,
    /// [B, N, patchValues].
    public func callAsFunction(_ latent: Tensor, mask: TokenMask, context: ForwardContext) -> Tensor {
        let x = embed(latent)
        let batch = x.shape[0], kept = mask.keep.count
        let visible = hasClassToken ? x.narrowed(axis: 1, start: 1, length: kept) : x
        var full = visible.scatteringTokens(mask.keep, into: maskToken.repeated(batch: batch, tokens: tokens))
        if hasClassToken { full = Tensor.concat([x.narrowed(axis: 1, start: 0, length: 1), full], axis: 1) }
        let decoded = pred(blocks(positions(full), context: context))
        return hasClassToken ? decoded.narrowed(axis: 1, start: 1, length: tokens) : decoded
    }
}
