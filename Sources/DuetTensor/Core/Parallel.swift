// The kernels' parallel loops: rows of a kernel split into contiguous ranges, range i always on
// kernel thread i (KernelPool).
import Foundation
import CBLAS

/// Hands a non-Sendable value (a raw pointer, a closure over raw pointers) to worker threads.
/// Safe when the workers write disjoint ranges, which every caller of `parallelFor` guarantees.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Worker threads used by the kernels: the machine's active cores, fixed at start.
public let kernelThreadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Runs `body` over `0..<count` split into at most `kernelThreadCount` contiguous ranges.
/// Ranges are no shorter than `grain` items, so small work stays on the calling thread.
/// Don't call sgemm inside `body`: it splits its own work over these threads.
public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    parallelChunks(count, grain: grain) { _, range in body(range) }
}

/// How many ranges `parallelFor(count, grain:)` and `parallelChunks` split `0..<count` into.
public func parallelChunkCount(_ count: Int, grain: Int = 1) -> Int {
    count > 0 ? min(kernelThreadCount, max(1, count / max(grain, 1))) : 0
}

/// `parallelFor` that also hands each range its index in `0..<parallelChunkCount(count, grain:)`,
/// so a kernel can give each range a slice of scratch allocated before the loop: allocating
/// inside the ranges would take as many buffers as ranges happen to run at once, a number the
/// scheduler decides anew every call.
public func parallelChunks(_ count: Int, grain: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = parallelChunkCount(count, grain: grain)
    guard chunks > 0 else { return }
    if chunks == 1 {
        body(0, 0..<count)
        return
    }
    KernelPool.shared.run(chunks: chunks) { chunk in
        let lo = count * chunk / chunks
        let hi = count * (chunk + 1) / chunks
        if lo < hi { body(chunk, lo..<hi) }
    }
}

/// OpenBLAS's threads. Duet runs every product as one-thread OpenBLAS calls on its own kernel
/// threads (GEMM.swift); plain cblas_sgemm with OpenBLAS's own threads is kept for the
/// benchmark's reference rate.
public enum BLASThreads {
    /// Makes OpenBLAS run each call on the caller's thread alone; the first call sets it for the process.
    public static func confineToCaller() { _ = oneThreadPerCaller }
    private static let oneThreadPerCaller: Void = openblas_set_num_threads(1)

    /// Runs `body` with OpenBLAS's own threads over every core, as a program calling cblas_sgemm
    /// directly gets them (the benchmark's reference rate). Call with nothing else running.
    public static func withOwnThreads<R>(_ body: () -> R) -> R {
        confineToCaller()
        openblas_set_num_threads(Int32(kernelThreadCount))
        defer { openblas_set_num_threads(1) }
        return body()
    }

    /// The kernel set OpenBLAS chose for this processor (for example "Cooperlake" or "Haswell").
    public static var coreName: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }
}
