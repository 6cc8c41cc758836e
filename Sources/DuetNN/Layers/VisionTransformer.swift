// timm's VisionTransformer as an encoder, with timm's state-dict names (`patch_embed.proj`,
// `cls_token`, `pos_embed`, `blocks.N`, `norm`), so a timm checkpoint loads name for name.
import DuetTensor

public struct VisionTransformerConfig: Sendable {
    public var imageSize: (Int, Int)
    public var patch: Int
    public var inChannels: Int
    public var dim: Int
    public var depth: Int
    public var heads: Int
    public var mlpRatio: Float = 4
    public var classToken = true
    /// Learned `pos_embed` as timm (true) or the fixed 2-D sine-cosine table of MAE (false).
    public var learnedPositions = true
    public var eps: Float = 1e-6

    public init(imageSize: (Int, Int), patch: Int, inChannels: Int = 3, dim: Int, depth: Int, heads: Int,
                mlpRatio: Float = 4, classToken: Bool = true, learnedPositions: Bool = true, eps: Float = 1e-6) {
        self.imageSize = imageSize
        self.patch = patch
        self.inChannels = inChannels
        self.dim = dim
        self.depth = depth
        self.heads = heads
        self.mlpRatio = mlpRatio
        self.classToken = classToken
        self.learnedPositions = learnedPositions
        self.eps = eps
    }

    public var grid: (Int, Int) { (imageSize.0 / patch, imageSize.1 / patch) }
    public var patchCount: Int { grid.0 * grid.1 }
}

public struct VisionTransformer: Sendable {
    public let config: VisionTransformerConfig
    public let patchEmbed: PatchEmbedding
    public let classToken: LearnedToken?
    public let positions: Parameter
    public let encoder: TransformerEncoder

    public init(_ b: ParameterBuilder, config: VisionTransformerConfig, options: BlockOptions? = nil) {
        self.config = config
        patchEmbed = PatchEmbedding(b.scope("patch_embed"), inChannels: config.inChannels, dim: config.dim,
                                    patch: (config.patch, config.patch))
        classToken = config.classToken ? LearnedToken(b, dim: config.dim) : nil
        let tokens = config.patchCount + (config.classToken ? 1 : 0)
        if config.learnedPositions {
            positions = b.parameter("pos_embed", shape: [1, tokens, config.dim], .truncatedNormal(std: 0.02), role: .positionEmbedding)
        } else {
            // MAE: a zero row for the class token, then the 2-D table; fixed.
            let table = (config.classToken ? [Float](repeating: 0, count: config.dim) : [])
                + SinCosPositionEmbedding.twoD(dim: config.dim, height: config.grid.0, width: config.grid.1)
            positions = b.parameter("pos_embed", Tensor(shape: [1, tokens, config.dim], scalars: table),
                                    role: .positionEmbedding, trainable: false)
        }
        var blockOptions = options ?? BlockOptions()
        blockOptions.mlpRatio = config.mlpRatio
        blockOptions.eps = config.eps
        encoder = TransformerEncoder(b, dim: config.dim, depth: config.depth, heads: config.heads, options: blockOptions)
    }

    /// Patch tokens with positions, class token first when there is one: [B, (1 +) N, D].
    public func embed(_ images: Tensor) -> Tensor {
        var tokens = patchEmbed(images)
        if let classToken { tokens = classToken.prepend(to: tokens) }
        return tokens + positions.value
    }

    /// timm's forward_features: every token after the final norm.
    public func forwardFeatures(_ images: Tensor, context: ForwardContext = .evaluation) -> Tensor {
        encoder(embed(images), context: context)
    }
}
