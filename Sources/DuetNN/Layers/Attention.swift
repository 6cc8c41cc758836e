// Multi-head self-attention as timm's `Attention` (fused `qkv`, `proj`), and the cross-attention
// that predictors and fusion blocks use (`q` from the queries, fused `kv` from the context).
import DuetTensor

public struct Attention: Sendable {
    public let qkv: Linear
    public let proj: Linear
    public let heads: Int

    public init(_ b: ParameterBuilder, dim: Int, heads: Int, qkvBias: Bool = true, initializer: Initializer = .xavierUniform) {
        precondition(dim % heads == 0, "attention width \(dim) is not divisible by \(heads) heads")
        qkv = Linear(b.scope("qkv"), inFeatures: dim, outFeatures: 3 * dim, bias: qkvBias, initializer: initializer)
        proj = Linear(b.scope("proj"), inFeatures: dim, outFeatures: dim, initializer: initializer)
        self.heads = heads
    }

    /// x is [B, N, D]; padded keys (per sample) are ignored.
    public func callAsFunction(_ x: Tensor, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let parts = qkv(x).reshaped([b, n, 3, heads, d / heads]).permuted([2, 0, 3, 1, 4])
            .split([1, 1, 1], axis: 0).map { $0.reshaped([b, heads, n, d / heads]) }
        let attended = Tensor.attention(parts[0], parts[1], parts[2], keyPadding: keyPadding)
        return proj(attended.transposed(1, 2).reshaped([b, n, d]))
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
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let m = context.shape[1], hd = d / heads
        let query = q(x).reshaped([b, n, heads, hd]).transposed(1, 2)
        let kvParts = kv(context).reshaped([b, m, 2, heads, hd]).permuted([2, 0, 3, 1, 4])
            .split([1, 1], axis: 0).map { $0.reshaped([b, heads, m, hd]) }
        let attended = Tensor.attention(query, kvParts[0], kvParts[1], keyPadding: keyPadding)
        return proj(attended.transposed(1, 2).reshaped([b, n, d]))
    }
}
