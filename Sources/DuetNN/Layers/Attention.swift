// Multi-head self-attention as timm's `Attention` (fused `qkv`, `proj`), and the cross-attention
// that predictors and fusion blocks use (`q` from the queries, fused `kv` from the context).
// Self-attention can rotate queries and keys by position (RoPE) instead of the tokens carrying
// absolute positions.
import DuetTensor

public struct Attention: Sendable {
    public let qkv: Linear
    public let proj: Linear
    public let heads: Int
    /// Queries and keys rotated by their token's position (RoPE): attention sees relative positions.
    public let rotaryPositions: Bool

    public init(_ b: ParameterBuilder, dim: Int, heads: Int, qkvBias: Bool = true, initializer: Initializer = .xavierUniform,
                rotaryPositions: Bool = false) {
        precondition(dim % heads == 0, "attention width \(dim) is not divisible by \(heads) heads")
        precondition(!rotaryPositions || (dim / heads) % 2 == 0, "rotary positions need an even head width, got \(dim / heads)")
        qkv = Linear(b.scope("qkv"), inFeatures: dim, outFeatures: 3 * dim, bias: qkvBias, initializer: initializer)
        proj = Linear(b.scope("proj"), inFeatures: dim, outFeatures: dim, initializer: initializer)
        self.heads = heads
        self.rotaryPositions = rotaryPositions
    }

    /// x is [B, N, D]; padded keys (per sample) are ignored.
    public func callAsFunction(_ x: Tensor, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        // The fused op reads q, k, v inside qkv's output and writes heads side by side: the
        // permutes and splits of timm's forward never materialise.
        let packed = rotaryPositions ? qkv(x).rotatingQueriesAndKeys(heads: heads) : qkv(x)
        return proj(Tensor.selfAttention(packed: packed, heads: heads, keyPadding: keyPadding))
    }
}

public struct CrossAttention: Sendable {
    public let q: Linear
    public let kv: Linear
    public let proj: Linear
    public let heads: Int

    public init(_ b: ParameterBuilder, dim: Int, contextDim: Int? = nil, heads: Int, qkvBias: Bool = true,
                initializer: Initializer = .xavierUniform) {
        precondition(dim % heads == 0, "attention width \(dim) is not divisible by \(heads) heads")
        q = Linear(b.scope("q"), inFeatures: dim, outFeatures: dim, bias: qkvBias, initializer: initializer)
        kv = Linear(b.scope("kv"), inFeatures: contextDim ?? dim, outFeatures: 2 * dim, bias: qkvBias, initializer: initializer)
        proj = Linear(b.scope("proj"), inFeatures: dim, outFeatures: dim, initializer: initializer)
        self.heads = heads
    }

    /// Queries x [B, N, D] attend to context [B, M, C].
    public func callAsFunction(_ x: Tensor, context: Tensor, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        proj(Tensor.crossAttention(query: q(x), packedKeyValue: kv(context), heads: heads, keyPadding: keyPadding))
    }
}
