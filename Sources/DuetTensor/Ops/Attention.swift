// Fused scaled dot-product attention with an optional key-padding mask, over [B, H, N, d] heads
// or straight from packed qkv / kv projections. Forward keeps the probabilities when they are
// small (`keptProbabilityLimit`), otherwise only the log-sum-exp of each score row, from which
// backward recomputes them (as flash attention does).

/// Which keys of each sample are real (true) and which are padding (false), [batch, keys].
public struct KeyPaddingMask: Sendable, Equatable {
    public let valid: [Bool]
    public let batch: Int
    public let keys: Int

    public init(valid: [Bool], batch: Int, keys: Int) {
        precondition(valid.count == batch * keys, "\(valid.count) mask entries for \(batch)×\(keys)")
        self.valid = valid
        self.batch = batch
        self.keys = keys
    }

    /// The first `lengths[b]` keys of sample b are valid.
    public init(lengths: [Int], keys: Int) {
        self.init(valid: lengths.flatMap { n in (0..<keys).map { $0 < n } }, batch: lengths.count, keys: keys)
    }

    /// 0 for a valid key, −∞ for padding: added to the scores so exp gives exactly 0.
    var additiveBias: [Float] { valid.map { $0 ? 0 : -.infinity } }
}

extension Tensor {
    /// softmax(q·kᵀ·scale + mask)·v. q is [B, H, N, d]; k and v are [B, H, M, d].
    /// `scale` defaults to 1/√d.
    public static func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyPadding: KeyPaddingMask? = nil,
                                 scale: Float? = nil) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention needs [B, H, N, d] tensors")
        let (b, h, n, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let m = k.shape[2]
        precondition(k.shape == [b, h, m, d] && v.shape == [b, h, m, d], "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        let shape = AttentionShape(batch: b, heads: h, queries: n, keys: m, headDim: d, scale: scale ?? 1 / Float(d).squareRoot())
        let queries = HeadLayout(batchStride: h * n * d, headStride: n * d, rowStride: d)
        let keys = HeadLayout(batchStride: h * m * d, headStride: m * d, rowStride: d)
        return fusedAttention(shape, q: (q, 0, queries), k: (k, 0, keys), v: (v, 0, keys), outShape: q.shape, outLayout: queries,
                              keyPadding: keyPadding)
    }

    /// Self-attention straight from a fused qkv projection: `qkv` is [B, N, 3·D] laid out as
    /// [B, N, 3, heads, D/heads] (timm's `qkv` Linear); the result is [B, N, D], heads side by
    /// side, ready for `proj`. No permute or split is materialised, forward or backward.
    public static func selfAttention(packed qkv: Tensor, heads: Int, keyPadding: KeyPaddingMask? = nil,
                                     scale: Float? = nil) -> Tensor {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "selfAttention: qkv \(qkv.shape) is not [B, N, 3·heads·d]")
        let (b, n, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let d = width / heads
        let shape = AttentionShape(batch: b, heads: heads, queries: n, keys: n, headDim: d, scale: scale ?? 1 / Float(d).squareRoot())
        let layout = HeadLayout(batchStride: n * 3 * width, headStride: d, rowStride: 3 * width)
        return fusedAttention(shape, q: (qkv, 0, layout), k: (qkv, width, layout), v: (qkv, 2 * width, layout),
                              outShape: [b, n, width], outLayout: HeadLayout(batchStride: n * width, headStride: d, rowStride: width),
                              keyPadding: keyPadding)
    }

    /// Cross-attention from a query projection [B, N, D] and a fused key-value projection
    /// [B, M, 2·D] laid out as [B, M, 2, heads, D/heads]; the result is [B, N, D].
    public static func crossAttention(query: Tensor, packedKeyValue kv: Tensor, heads: Int, keyPadding: KeyPaddingMask? = nil,
                                      scale: Float? = nil) -> Tensor {
        precondition(query.rank == 3 && kv.rank == 3 && query.shape[0] == kv.shape[0] && kv.shape[2] == 2 * query.shape[2]
                     && query.shape[2] % heads == 0, "crossAttention: query \(query.shape), key-value \(kv.shape), \(heads) heads")
        let (b, n, width, m) = (query.shape[0], query.shape[1], query.shape[2], kv.shape[1])
        let d = width / heads
        let shape = AttentionShape(batch: b, heads: heads, queries: n, keys: m, headDim: d, scale: scale ?? 1 / Float(d).squareRoot())
        let queries = HeadLayout(batchStride: n * width, headStride: d, rowStride: width)
        let keys = HeadLayout(batchStride: m * 2 * width, headStride: d, rowStride: 2 * width)
        return fusedAttention(shape, q: (query, 0, queries), k: (kv, 0, keys), v: (kv, width, keys), outShape: [b, n, width],
                              outLayout: queries, keyPadding: keyPadding)
    }

    /// One operand: the tensor holding it, the offset of its first element, its head layout.
    typealias HeadOperand = (tensor: Tensor, offset: Int, layout: HeadLayout)

    /// The attention op behind the three front-ends; q, k, v may share one tensor (packed
    /// projections), and their gradients then land in one tensor of that shape.
    private static func fusedAttention(_ s: AttentionShape, q: HeadOperand, k: HeadOperand, v: HeadOperand,
                                       outShape: [Int], outLayout: HeadLayout, keyPadding: KeyPaddingMask?) -> Tensor {
        profiled(.attention) {
            precondition(keyPadding == nil || (keyPadding!.batch == s.batch && keyPadding!.keys == s.keys),
                         "attention: key mask does not fit \(s.batch)×\(s.keys)")
            let bias = keyPadding?.additiveBias
            let out = Tensor(uninitializedShape: outShape)
            let lse = Tensor(uninitializedShape: [s.batch, s.heads, s.queries])
            // Distinct input tensors, each once: a packed qkv is one input whose gradient holds all three.
            var inputs: [Tensor] = []
            for t in [q.tensor, k.tensor, v.tensor] where !inputs.contains(where: { $0 === t }) { inputs.append(t) }
            // Kept only for a backward that will run (not for teachers and evaluation).
            let keptCount = s.batch * s.heads * s.queries * s.paddedKeys
            let kept = Tensor.willRecord(inputs) && keptCount <= keptProbabilityLimit ? Tensor(uninitializedShape: [keptCount]) : nil
            withOptionalPointer(bias) { biasP in
                attentionForward(s, q: q.tensor.pointer + q.offset, q.layout, k: k.tensor.pointer + k.offset, k.layout,
                                 v: v.tensor.pointer + v.offset, v.layout, out: out.pointer, outLayout, lse: lse.pointer, bias: biasP,
                                 keptProbabilities: kept?.pointer)
            }
            return out.recorded("attention", inputs) { g in
                let grads = inputs.map { Tensor(uninitializedShape: $0.shape) }
                func gradient(_ o: HeadOperand) -> UnsafeMutablePointer<Float> {
                    grads[inputs.firstIndex { $0 === o.tensor }!].pointer + o.offset
                }
                withOptionalPointer(bias) { biasP in
                    attentionBackward(s, q: q.tensor.pointer + q.offset, q.layout, k: k.tensor.pointer + k.offset, k.layout,
                                      v: v.tensor.pointer + v.offset, v.layout, g: g.pointer, outLayout, lse: lse.pointer, bias: biasP,
                                      dq: gradient(q), dk: gradient(k), dv: gradient(v), keptProbabilities: kept.map { UnsafePointer($0.pointer) })
                }
                return zip(inputs, grads).map { $0.requiresGrad ? $1 : nil }
            }
        }
    }
}

/// Calls `body` with a pointer to `values`, or nil when there are no values.
private func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress!) }
}
