// Creating tensors: constants, ranges, copies, and random draws from a counter-based stream.
#if canImport(Glibc)
import Glibc
#endif

extension Tensor {
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.pointer.update(repeating: value, count: t.count)
        return t
    }

    /// `start, start + step, ...` below `end`, as a 1-D tensor.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange step must not be 0")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let t = Tensor(uninitializedShape: [n])
        for i in 0..<n { t.pointer[i] = start + Float(i) * step }
        return t
    }

    /// A new tensor with the same values and no graph.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// Normal draws with `mean` and `std`: element i depends only on (stream, i).
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, stream: RandomStream) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let out = UncheckedSendable(t.pointer)
        parallelFor(t.count, grain: 4096) { range in
            for i in range { out.value[i] = mean + std * stream.normal(i) }
        }
        return t
    }

    /// Uniform draws in [low, high).
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1, stream: RandomStream) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let out = UncheckedSendable(t.pointer)
        parallelFor(t.count, grain: 4096) { range in
            for i in range { out.value[i] = low + (high - low) * stream.uniform(i) }
        }
        return t
    }

    /// Normal draws redrawn until they fall in [low, high] (timm's trunc_normal_, std 0.02 by
    /// default with absolute bounds ±2). Each element retries on its own counters.
    public static func randomTruncatedNormal(_ shape: [Int], mean: Float = 0, std: Float = 0.02,
                                             low: Float = -2, high: Float = 2, stream: RandomStream) -> Tensor {
        precondition(low < high, "truncated normal needs low < high")
        let t = Tensor(uninitializedShape: shape)
        let out = UncheckedSendable(t.pointer)
        parallelFor(t.count, grain: 4096) { range in
            for i in range {
                var attempt: UInt64 = 0
                var v = mean + std * stream.normal(i)
                while v < low || v > high {
                    attempt += 1
                    if attempt > 64 { v = Swift.min(Swift.max(v, low), high); break }
                    v = mean + std * stream.derived(attempt).normal(i)
                }
                out.value[i] = v
            }
        }
        return t
    }
}
