// Transformer blocks named as timm names them: `Mlp` (fc1, fc2), `Block` (norm1, attn, norm2,
// mlp, optional LayerScale ls1.gamma / ls2.gamma, drop-path), and a cross-attention block.
import DuetTensor

public struct Mlp: Sendable {
    public let fc1: Linear
    public let fc2: Linear

    public init(_ b: ParameterBuilder, dim: Int, hidden: Int, outDim: Int? = nil, initializer: Initializer = .xavierUniform) {
        fc1 = Linear(b.scope("fc1"), inFeatures: dim, outFeatures: hidden, initializer: initializer)
        fc2 = Linear(b.scope("fc2"), inFeatures: hidden, outFeatures: outDim ?? dim, initializer: initializer)
    }

    /// fc2(GELU(fc1(x))), the GELU fused into fc1's output pass.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        fc2(fc1(x, activation: .gelu))
    }
}

/// Per-channel scaling of a residual branch (CaiT / timm `LayerScale`, parameter `gamma`).
public struct LayerScale: Sendable {
    public let gamma: Parameter

    public init(_ b: ParameterBuilder, dim: Int, initialValue: Float) {
        gamma = b.parameter("gamma", shape: [dim], .constant(initialValue), role: .norm)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x * gamma.value }
}

/// Options shared by the block kinds.
public struct BlockOptions: Sendable {
    public var mlpRatio: Float = 4
    public var qkvBias = true
    public var layerScale: Float?
    public var dropPath: Float = 0
    public var eps: Float = 1e-6
    public var initializer: Initializer = .xavierUniform
    /// Self-attention with rotary positions (RoPE) on queries and keys.
    public var rotaryPositions = false

    public init(mlpRatio: Float = 4, qkvBias: Bool = true, layerScale: Float? = nil, dropPath: Float = 0, eps: Float = 1e-6,
                initializer: Initializer = .xavierUniform, rotaryPositions: Bool = false) {
        self.mlpRatio = mlpRatio
        self.qkvBias = qkvBias
        self.layerScale = layerScale
        self.dropPath = dropPath
        self.eps = eps
        self.initializer = initializer
        self.rotaryPositions = rotaryPositions
    }
}

/// Pre-LN transformer block: x + attn(norm1(x)), then + mlp(norm2(x)).
public struct Block: Sendable {
    public let norm1: LayerNorm
    public let attn: Attention
    public let ls1: LayerScale?
    public let norm2: LayerNorm
    public let mlp: Mlp
    public let ls2: LayerScale?
    public let dropPath: Float
    public let path: String

    public init(_ b: ParameterBuilder, dim: Int, heads: Int, options: BlockOptions = BlockOptions()) {
        norm1 = LayerNorm(b.scope("norm1"), dim: dim, eps: options.eps)
        attn = Attention(b.scope("attn"), dim: dim, heads: heads, qkvBias: options.qkvBias, initializer: options.initializer,
                         rotaryPositions: options.rotaryPositions)
        ls1 = options.layerScale.map { LayerScale(b.scope("ls1"), dim: dim, initialValue: $0) }
        norm2 = LayerNorm(b.scope("norm2"), dim: dim, eps: options.eps)
        mlp = Mlp(b.scope("mlp"), dim: dim, hidden: Int(Float(dim) * options.mlpRatio), initializer: options.initializer)
        ls2 = options.layerScale.map { LayerScale(b.scope("ls2"), dim: dim, initialValue: $0) }
        dropPath = options.dropPath
        path = b.prefix
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        var branch = attn(norm1(x), keyPadding: keyPadding)
        if let ls1 { branch = ls1(branch) }
        let x1 = x + residualDrop(branch, context, "attn")
        var branch2 = mlp(norm2(x1))
        if let ls2 { branch2 = ls2(branch2) }
        return x1 + residualDrop(branch2, context, "mlp")
    }

    private func residualDrop(_ branch: Tensor, _ context: ForwardContext, _ which: String) -> Tensor {
        guard context.isTraining, dropPath > 0 else { return branch }
        return branch.dropPath(dropPath, stream: context.stream(for: path + "." + which))
    }
}

/// Pre-LN cross-attention block: queries attend to a context (predictors, fusion), then an MLP.
/// Names: norm1 (queries), norm_context, attn (q, kv, proj), norm2, mlp.
public struct CrossAttentionBlock: Sendable {
    public let norm1: LayerNorm
    public let normContext: LayerNorm
    public let attn: CrossAttention
    public let norm2: LayerNorm
    public let mlp: Mlp

    public init(_ b: ParameterBuilder, dim: Int, contextDim: Int? = nil, heads: Int, options: BlockOptions = BlockOptions()) {
        norm1 = LayerNorm(b.scope("norm1"), dim: dim, eps: options.eps)
        normContext = LayerNorm(b.scope("norm_context"), dim: contextDim ?? dim, eps: options.eps)
        attn = CrossAttention(b.scope("attn"), dim: dim, contextDim: contextDim, heads: heads, qkvBias: options.qkvBias,
                              initializer: options.initializer)
        norm2 = LayerNorm(b.scope("norm2"), dim: dim, eps: options.eps)
        mlp = Mlp(b.scope("mlp"), dim: dim, hidden: Int(Float(dim) * options.mlpRatio), initializer: options.initializer)
    }

    public func callAsFunction(_ x: Tensor, context: Tensor, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        let x1 = x + attn(norm1(x), context: normContext(context), keyPadding: keyPadding)
        return x1 + mlp(norm2(x1))
    }
}

/// `blocks.N` then a final `norm`, as timm's VisionTransformer names them.
public struct TransformerEncoder: Sendable {
    public let blocks: [Block]
    public let norm: LayerNorm?

    /// `blocksName` and `normName` rename the parts where a model does (MAE's decoder uses
    /// decoder_blocks.N and decoder_norm).
    public init(_ b: ParameterBuilder, dim: Int, depth: Int, heads: Int, options: BlockOptions = BlockOptions(),
                finalNorm: Bool = true, dropPathSchedule: Bool = true, blocksName: String = "blocks", normName: String = "norm") {
        blocks = (0..<depth).map { i in
            var o = options
            // timm's stochastic-depth rule: the rate grows linearly from 0 to dropPath over depth.
            if dropPathSchedule && depth > 1 { o.dropPath = options.dropPath * Float(i) / Float(depth - 1) }
            return Block(b.scope(blocksName).scope(i), dim: dim, heads: heads, options: o)
        }
        norm = finalNorm ? LayerNorm(b.scope(normName), dim: dim, eps: options.eps) : nil
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        var h = x
        for block in blocks { h = block(h, context: context, keyPadding: keyPadding) }
        return norm.map { $0(h) } ?? h
    }
}
