// The one door to cblas_sgemm: row-major, transposes as flags (a transposed weight is never
// materialised), and the product split over the kernel threads, each running a one-thread
// OpenBLAS call on its own rows of C: the rows of the activations a thread wrote in the kernel
// before (KernelPool keeps range i on thread i). OpenBLAS's own threads would share one packed
// panel and meet at flags inside every call, cross-core traffic that the shared VM makes slow
// for seconds at a time (KernelPool.swift).
import CBLAS

/// C[M,N] = alpha · op(A) · op(B) + beta · C, row-major, with op(X) = Xᵀ when its flag is set.
/// `A` is [M,K] (or [K,M] transposed) and `B` is [K,N] (or [N,K] transposed), densely packed.
@inline(__always)
public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                  beta: Float = 0, _ c: UnsafeMutablePointer<Float>) {
    stridedSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                 a, lda: transposeA ? m : k, b, ldb: transposeB ? k : n, beta: beta, c, ldc: n)
}

/// `sgemm` with explicit leading dimensions (sub-matrices of larger buffers).
public func stridedSgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                         _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                         beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // BLAS leaves C untouched when K is 0 only if beta is 1; make the empty product explicit.
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else if beta != 1 { for j in 0..<n { row[j] *= beta } }
        }
        return
    }
    let call = SgemmCall(transposeA: transposeA, transposeB: transposeB, k: k, alpha: alpha,
                         a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    if GEMMSplit.overK(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k) {
        sgemmSplitOverK(call, m: m, n: n)
        return
    }
    let split = GEMMSplit(m: m, n: n, k: k)
    parallelFor(split.slices) { slices in
        let lo = split.start(of: slices.lowerBound), hi = split.start(of: slices.upperBound)
        if split.alongRows { call.run(rows: lo..<hi, columns: 0..<n) } else { call.run(rows: 0..<m, columns: lo..<hi) }
    }
}

/// A weight gradient (op(A) = Aᵀ over the tokens, B the tokens' inputs): each kernel thread sums
/// over its own tokens, the rows it wrote in the kernels before, into its own partial C; the
/// partials are then added up by rows. Split by C's rows instead, both threads would read every
/// token, half of them from the other core.
private func sgemmSplitOverK(_ call: SgemmCall, m: Int, n: Int) {
    let k = call.k
    let parts = parallelChunkCount(k, grain: GEMMSplit.minimumTokensPerThread)
    let partials = Tensor(uninitializedShape: [(parts - 1) * m * n])
    defer { withExtendedLifetime(partials) {} }
    let partialBase = UncheckedSendable(partials.pointer)
    parallelChunks(k, grain: GEMMSplit.minimumTokensPerThread) { part, tokens in
        // Part 0 writes C itself (with the call's beta); the others write their own scratch.
        let out = part == 0 ? call.c : partialBase.value + (part - 1) * m * n
        let piece = SgemmCall(transposeA: true, transposeB: false, k: tokens.count, alpha: call.alpha,
                              a: call.a + tokens.lowerBound * call.lda, lda: call.lda,
                              b: call.b + tokens.lowerBound * call.ldb, ldb: call.ldb,
                              beta: part == 0 ? call.beta : 0, c: out, ldc: part == 0 ? call.ldc : n)
        piece.run(rows: 0..<m, columns: 0..<n)
    }
    let c = UncheckedSendable(call.c)
    parallelFor(m, grain: Swift.max(1, 4096 / n)) { rows in
        for i in rows {
            let row = c.value + i * call.ldc
            for p in 0..<(parts - 1) {
                let partial = UnsafePointer(partialBase.value + p * m * n + i * n)
                for j in 0..<n { row[j] += partial[j] }
            }
        }
    }
}

/// How a product is cut between the kernel threads: along C's rows (the tokens, as the kernels
/// around it split them) unless it has fewer rows than columns and fewer than 32 a thread, in
/// slices of 16 (one AVX-512 vector of C); not at all when it is too small to pay for handing
/// work to another thread.
struct GEMMSplit {
    static let sliceWidth = 16
    static let minimumMultiplyAdds = 1 << 18
    static let minimumTokensPerThread = 256

    /// Whether a product is a weight gradient to split over its inner dimension: Aᵀ·B with many
    /// more tokens (k) than either output side, so each thread's partial C is small.
    static func overK(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> Bool {
        transposeA && !transposeB && kernelThreadCount > 1 && k >= 2 * minimumTokensPerThread
            && k >= 2 * Swift.max(m, n) && m * n * k >= minimumMultiplyAdds
    }

    let alongRows: Bool
    let extent: Int
    let slices: Int

    init(m: Int, n: Int, k: Int) {
        alongRows = m >= n || m >= 32 * kernelThreadCount
        extent = alongRows ? m : n
        slices = m * n * k < Self.minimumMultiplyAdds ? 1 : (extent + Self.sliceWidth - 1) / Self.sliceWidth
    }

    /// The first row (or column) of slice `index`; `start(of: slices)` is the extent (also when
    /// the product is one slice because it is small).
    func start(of index: Int) -> Int { index >= slices ? extent : index * Self.sliceWidth }
}

/// One cblas_sgemm over a block of C, OpenBLAS confined to the calling thread.
struct SgemmCall {
    let transposeA: Bool, transposeB: Bool
    let k: Int
    let alpha: Float
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let beta: Float
    let c: UnsafeMutablePointer<Float>, ldc: Int

    func run(rows: Range<Int>, columns: Range<Int>) {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        BLASThreads.confineToCaller()
        // Row i of op(A) starts at column i of a transposed A; column j of op(B) at row j of a transposed B.
        let aStart = a + (transposeA ? rows.lowerBound : rows.lowerBound * lda)
        let bStart = b + (transposeB ? columns.lowerBound * ldb : columns.lowerBound)
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(rows.count), Int32(columns.count), Int32(k), alpha,
                    aStart, Int32(lda), bStart, Int32(ldb),
                    beta, c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
    }
}
