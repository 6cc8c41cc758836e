// Timing for benchmarks: medians of repeated runs after warm-up, in milliseconds.
import Dispatch

/// Times `body`: `warmup` untimed runs, then the median of `repeats` timed ones, in ms.
public func medianMilliseconds(warmup: Int = 3, repeats: Int = 10, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    times.reserveCapacity(repeats)
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}
