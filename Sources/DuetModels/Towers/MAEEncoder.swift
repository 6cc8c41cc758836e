// The masked-autoencoder encoder of AudioMAE (filterbank patches) and VideoMAE (tubelets): patch
// or tubelet embedding, fixed sine-cosine positions, an optional class token, and transformer
// blocks that run on the kept tokens only. Names and shapes as MAE: patch_embed.proj, cls_token,
// pos_embed [1, 1 + N, D] (a zero row for the class token), blocks.N, norm.
import DuetNN
import DuetTensor

public struct TransformerSize: Sendable, Equatable {
    public var dim: Int
    public var depth: Int
    public var heads: Int
    public var mlpRatio: Float

    public init(dim: Int, depth: Int, heads: Int, mlpRatio: Float = 4) {
        self.dim = dim
        self.depth = depth
        self.heads = heads
        self.mlpRatio = mlpRatio
    }
}

public struct MAEEncoder: Sendable {
    public let grid: TokenGrid
    public let size: TransformerSize
    let tokenEmbedding: GridEmbedding
    public let classToken: LearnedToken?
    public let positions: FixedPositionEmbedding
    public let encoder: TransformerEncoder

    public init(_ b: ParameterBuilder, grid: TokenGrid, size: TransformerSize, classToken: Bool = true, dropPath: Float = 0) {
        self.grid = grid
        self.size = size
        tokenEmbedding = GridEmbedding(b.scope("patch_embed"), grid: grid, dim: size.dim)
        self.classToken = classToken ? LearnedToken(b, dim: size.dim) : nil
        positions = FixedPositionEmbedding(b, tokens: grid.tokens + (classToken ? 1 : 0), dim: size.dim,
                                           values: grid.positions(dim: size.dim, classToken: classToken))
        encoder = TransformerEncoder(b, dim: size.dim, depth: size.depth, heads: size.heads,
                                     options: BlockOptions(mlpRatio: size.mlpRatio, dropPath: dropPath))
    }

    public var hasClassToken: Bool { classToken != nil }

    /// Every patch token embedded with its position: [B, N, D].
    public func embed(_ x: Tensor) -> Tensor {
        let tokens = tokenEmbedding(x)
        let table = positions.table.value
        return tokens + (hasClassToken ? table.narrowed(axis: 1, start: 1, length: grid.tokens) : table)
    }

    /// The kept tokens (class token first when there is one) through the blocks: [B, (1 +) K, D].
    /// With no mask, every token. (The class token's position row is zero, as in MAE.)
    public func callAsFunction(_ x: Tensor, mask: TokenMask?, context: ForwardContext) -> Tensor {
        encodeVisible(x, mask: mask, context: context)
    }
}
