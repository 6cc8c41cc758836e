// Matrix products: batched matmul with transpose flags, all through sgemm.

extension Tensor {
    /// op(a) · op(b) over the last two axes. `a` is [..., M, K] ([..., K, M] with transposeA);
    /// `b` is [..., K, N] ([..., N, K] with transposeB) with the same leading axes, or 2-D and
    /// shared by every batch entry.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        profiled(.gemm) {
            precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
            let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
            let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
            let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
            let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
            precondition(k == kb, "matmul inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
            let batchShape = Array(a.shape.dropLast(2))
            let sharedB = b.rank == 2
            precondition(sharedB || Array(b.shape.dropLast(2)) == batchShape, "matmul batch axes differ: \(a.shape) · \(b.shape)")
            let batch = batchShape.reduce(1, *)
            let out = Tensor(uninitializedShape: batchShape + [m, n])
            if sharedB && !transposeA {
                // Fold the batch into M: one large product instead of many small ones.
                sgemm(transposeA: false, transposeB: transposeB, m: batch * m, n: n, k: k, a.pointer, b.pointer, out.pointer)
            } else {
                for i in 0..<batch {
                    sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                          a.pointer + i * m * k, b.pointer + (sharedB ? 0 : i * k * n), out.pointer + i * m * n)
                }
            }
            return out.recorded("matmul", [a, b]) { g in
                var ga: Tensor?, gb: Tensor?
                if a.requiresGrad {
                    let r = Tensor(uninitializedShape: a.shape)
                    for i in 0..<batch {
                        let gp = g.pointer + i * m * n, bp = b.pointer + (sharedB ? 0 : i * k * n)
                        if transposeA {
                            // dA[K,M] = op(B) · dCᵀ
                            sgemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n, bp, gp, r.pointer + i * m * k)
                        } else {
                            // dA[M,K] = dC · op(B)ᵀ
                            sgemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n, gp, bp, r.pointer + i * m * k)
                        }
                    }
                    ga = r
                }
                if b.requiresGrad {
                    let r = Tensor.zeros(b.shape)
                    for i in 0..<batch {
                        let gp = g.pointer + i * m * n, ap = a.pointer + i * m * k
                        let dst = r.pointer + (sharedB ? 0 : i * k * n)
                        let beta: Float = sharedB ? 1 : 0
                        if transposeB {
                            // dB[N,K] = dCᵀ · op(A)
                            sgemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m, gp, ap, beta: beta, dst)
                        } else {
                            // dB[K,N] = op(A)ᵀ · dC
                            sgemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m, ap, gp, beta: beta, dst)
                        }
                    }
                    gb = r
                }
                return [ga, gb]
            }
        }
    }
}
