// The one door to cblas_sgemm: row-major, transposes as flags (a transposed weight is never
// materialised). Call from the calling thread only: OpenBLAS brings its own threads.
import CBLAS

/// C[M,N] = alpha · op(A) · op(B) + beta · C, row-major, with op(X) = Xᵀ when its flag is set.
/// `A` is [M,K] (or [K,M] transposed) and `B` is [K,N] (or [N,K] transposed), densely packed.
@inline(__always)
public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                  beta: Float = 0, _ c: UnsafeMutablePointer<Float>) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // BLAS leaves C untouched when K is 0 only if beta is 1; make the empty product explicit.
        if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 {
            for i in 0..<(m * n) { c[i] *= beta }
        }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(transposeA ? m : k),
                b, Int32(transposeB ? k : n),
                beta, c, Int32(n))
}
