// The op-family profiler: spans land in their family, nested spans are charged once, and nothing
// is recorded without a profiler installed.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct ProfilerTests {
    @Test func familiesAndNesting() {
        let x = randomInput([8, 6], seed: 1), w = randomInput([5, 6], seed: 2), b = randomInput([5], seed: 3)
        let profiler = OpProfiler()
        let start = DispatchTime.now().uptimeNanoseconds
        withProfiler(profiler) {
            let y = Tensor.linear(x, weight: w, bias: b, activation: .gelu).layerNorm()
            (y * y).sum().backward()
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let report = Dictionary(uniqueKeysWithValues: profiler.report.map { ($0.family, $0) })
        // linear forward and its rule; the GELU inside both is GELU's own span.
        #expect(report[.gemm]!.calls == 2)
        #expect(report[.gelu]!.calls == 2)
        #expect(report[.layerNorm]!.calls == 2)
        #expect(report[.elementwise]!.calls >= 3)
        #expect(report[.allocator]!.calls > 0)
        // Exclusive times: together no more than the wall time around them.
        #expect(profiler.report.allSatisfy { $0.seconds >= 0 })
        #expect(profiler.report.reduce(0) { $0 + $1.seconds } <= wall)

        let idle = OpProfiler()
        _ = Tensor.linear(x, weight: w)
        #expect(idle.report.allSatisfy { $0.calls == 0 })
    }
}

import Dispatch
