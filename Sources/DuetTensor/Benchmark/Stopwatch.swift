// Timing for benchmarks: medians of repeated runs after warm-up, in milliseconds.
import Dispatch

/// Times `body`: `warmup` untimed runs, then the median of `repeats` timed ones, in ms.
public func medianMilliseconds(warmup: Int = 3, repeats: Int = 10, _ body: () -> Void) -> Double {
    withoutActuallyEscaping(body) { alternatingMedianMilliseconds(warmup: warmup, repeats: repeats, [$0])[0] }
}

/// Times several variants run alternately (A B A B …), so that a machine whose speed drifts
/// (other work, turbo, a shared host) affects each the same way; one median per variant, in ms.
public func alternatingMedianMilliseconds(warmup: Int = 3, repeats: Int = 10, _ bodies: [() -> Void]) -> [Double] {
    for _ in 0..<warmup { for body in bodies { body() } }
    var times = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<repeats {
        for (i, body) in bodies.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
    }
    return times.map(median)
}

func median(_ values: [Double]) -> Double {
    let v = values.sorted()
    guard !v.isEmpty else { return .nan }
    return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
}
