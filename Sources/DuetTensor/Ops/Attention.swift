// Fused scaled dot-product attention over [B, H, N, d] with an optional key-padding mask.
// Forward keeps only the log-sum-exp of each score row; backward recomputes the probabilities
// from it (as flash attention does) instead of storing B·H·N·M of them.

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
        precondition(keyPadding == nil || (keyPadding!.batch == b && keyPadding!.keys == m), "attention: key mask does not fit \(b)×\(m)")
        let alpha = scale ?? 1 / Float(d).squareRoot()
        let bias = keyPadding?.additiveBias
        let out = Tensor(uninitializedShape: q.shape)
        let lse = Tensor(uninitializedShape: [b, h, n])
        let scores = Tensor(uninitializedShape: [h, n, m])
        for bi in 0..<b {
            let head0 = bi * h
            for hi in 0..<h {
                sgemm(transposeA: false, transposeB: true, m: n, n: m, k: d, alpha: alpha,
                      q.pointer + (head0 + hi) * n * d, k.pointer + (head0 + hi) * m * d, scores.pointer + hi * n * m)
            }
            withOptionalPointer(bias, offset: bi * m) { biasRow in
                attentionSoftmax(scores.pointer, rows: h * n, cols: m, bias: biasRow, logSumExp: lse.pointer + head0 * n)
            }
            for hi in 0..<h {
                sgemm(transposeA: false, transposeB: false, m: n, n: d, k: m,
                      scores.pointer + hi * n * m, v.pointer + (head0 + hi) * m * d, out.pointer + (head0 + hi) * n * d)
            }
        }
        let o = out.storage
        return out.recorded("attention", [q, k, v]) { g in
            let dq = Tensor(uninitializedShape: q.shape), dk = Tensor(uninitializedShape: k.shape)
            let dv = Tensor(uninitializedShape: v.shape)
            let delta = Tensor(uninitializedShape: [b, h, n])
            rowDot(g.pointer, o.pointer, delta.pointer, rows: b * h * n, cols: d)
            let p = Tensor(uninitializedShape: [h, n, m]), dp = Tensor(uninitializedShape: [h, n, m])
            for bi in 0..<b {
                let head0 = bi * h
                for hi in 0..<h {
                    let qh = q.pointer + (head0 + hi) * n * d, kh = k.pointer + (head0 + hi) * m * d
                    let vh = v.pointer + (head0 + hi) * m * d, gh = g.pointer + (head0 + hi) * n * d
                    sgemm(transposeA: false, transposeB: true, m: n, n: m, k: d, alpha: alpha, qh, kh, p.pointer + hi * n * m)
                    sgemm(transposeA: false, transposeB: true, m: n, n: m, k: d, gh, vh, dp.pointer + hi * n * m)
                }
                withOptionalPointer(bias, offset: bi * m) { biasRow in
                    attentionScoreGradient(p.pointer, dp.pointer, rows: h * n, cols: m, bias: biasRow,
                                           logSumExp: lse.pointer + head0 * n, delta: delta.pointer + head0 * n)
                }
                for hi in 0..<h {
                    let qh = q.pointer + (head0 + hi) * n * d, kh = k.pointer + (head0 + hi) * m * d
                    let gh = g.pointer + (head0 + hi) * n * d
                    let ph = p.pointer + hi * n * m, dsh = dp.pointer + hi * n * m
                    // dV = Pᵀ·dO; dQ = dS·K·scale; dK = dSᵀ·Q·scale
                    sgemm(transposeA: true, transposeB: false, m: m, n: d, k: n, ph, gh, dv.pointer + (head0 + hi) * m * d)
                    sgemm(transposeA: false, transposeB: false, m: n, n: d, k: m, alpha: alpha, dsh, kh, dq.pointer + (head0 + hi) * n * d)
                    sgemm(transposeA: true, transposeB: false, m: m, n: d, k: n, alpha: alpha, dsh, qh, dk.pointer + (head0 + hi) * m * d)
                }
            }
            return [q.requiresGrad ? dq : nil, k.requiresGrad ? dk : nil, v.requiresGrad ? dv : nil]
        }
    }
}

/// Calls `body` with a pointer to `values[offset...]`, or nil when there are no values.
private func withOptionalPointer<R>(_ values: [Float]?, offset: Int, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress! + offset) }
}
