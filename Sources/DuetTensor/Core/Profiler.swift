// Time per op family for `duet bench --profile`: op front-ends and backward rules report to the
// profiler installed by `withProfiler` (a @TaskLocal: nothing global, off unless installed).
import Dispatch

/// What a span of time is spent on. Spans nest; each family gets only its own time (a GELU
/// fused into a linear is GELU's, the linear's GEMMs are GEMM's).
public enum OpFamily: String, CaseIterable, Sendable {
    case gemm = "GEMM"
    case attention
    case layerNorm = "layer norm"
    case gelu = "GELU"
    case elementwise
    case optimizer
    case allocator

    /// The family of a recorded op, by the name its front-end records.
    init(opName: String) {
        switch opName {
        case "linear", "matmul", "convolution": self = .gemm
        case "attention": self = .attention
        case "layerNorm": self = .layerNorm
        case "geluErf", "geluTanh": self = .gelu
        default: self = .elementwise
        }
    }
}

/// Accumulates exclusive time per op family. Used from the thread that runs the step; the
/// kernels' worker threads run inside a span and do not report.
public final class OpProfiler: @unchecked Sendable {
    @TaskLocal public static var current: OpProfiler?

    private var totals = [UInt64](repeating: 0, count: OpFamily.allCases.count)
    private var calls = [Int](repeating: 0, count: OpFamily.allCases.count)
    /// Open spans: family index, start time, time spent in spans nested inside.
    private var open: [(family: Int, start: UInt64, nested: UInt64)] = []

    public init() {}

    /// Seconds and calls per family since the last reset.
    public var report: [(family: OpFamily, seconds: Double, calls: Int)] {
        OpFamily.allCases.enumerated().map { i, f in (f, Double(totals[i]) / 1e9, calls[i]) }
    }

    public func reset() {
        totals = totals.map { _ in 0 }
        calls = calls.map { _ in 0 }
    }

    fileprivate func begin(_ family: OpFamily) {
        open.append((Self.index(family), DispatchTime.now().uptimeNanoseconds, 0))
    }

    fileprivate func end() {
        guard let span = open.popLast() else { return }
        let elapsed = DispatchTime.now().uptimeNanoseconds &- span.start
        totals[span.family] &+= elapsed &- min(span.nested, elapsed)
        calls[span.family] += 1
        if !open.isEmpty { open[open.count - 1].nested &+= elapsed }
    }

    private static func index(_ family: OpFamily) -> Int { OpFamily.allCases.firstIndex(of: family)! }
}

/// Runs `body` with `profiler` collecting op-family times (for benchmarks).
public func withProfiler<R>(_ profiler: OpProfiler, _ body: () throws -> R) rethrows -> R {
    try OpProfiler.$current.withValue(profiler, operation: body)
}

/// Runs `body` as a span of `family` when a profiler is installed; otherwise just runs it.
@inline(__always)
public func profiled<R>(_ family: OpFamily, _ body: () throws -> R) rethrows -> R {
    guard let profiler = OpProfiler.current else { return try body() }
    profiler.begin(family)
    defer { profiler.end() }
    return try body()
}
