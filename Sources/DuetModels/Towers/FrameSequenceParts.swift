// The parts the frame-level towers and the predictor share: a fixed 1-D sine-cosine table over
// time steps, and a transformer sized by a TransformerSize with the caller's block options.
import DuetNN
import DuetTensor

extension FixedPositionEmbedding {
    /// MAE's 1-D sine-cosine table over `steps` time steps, `pos_embed` [1, steps, dim].
    static func timeSteps(_ b: ParameterBuilder, steps: Int, dim: Int) -> FixedPositionEmbedding {
        FixedPositionEmbedding(b, tokens: steps, dim: dim,
                               values: SinCosPositionEmbedding.oneD(dim: dim, positions: (0..<steps).map(Float.init)))
    }
}

extension TransformerEncoder {
    /// `blocks.N` and `norm` of `size`, the MLP ratio taken from `size` over `options`'.
    init(_ b: ParameterBuilder, size: TransformerSize, options: BlockOptions) {
        var o = options
        o.mlpRatio = size.mlpRatio
        self.init(b, dim: size.dim, depth: size.depth, heads: size.heads, options: o)
    }
}
