// Counter-based randomness: Philox4x32-10 against Random123's known-answer vectors (so every
// machine draws the same numbers), and draws that depend only on (seed, stream, index).
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct RandomTests {
    @Test func philoxKnownAnswers() {
        // Random123 kat_vectors, philox4x32_10.
        let zero = philox4x32(counter: (0, 0, 0, 0), key: (0, 0))
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = philox4x32(counter: (.max, .max, .max, .max), key: (.max, .max))
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = philox4x32(counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test func drawsDependOnlyOnSeedStreamAndIndex() {
        let s = RandomStream(seed: 42).derived(7, 3)
        let a = Tensor.randomNormal([1000], stream: s), b = Tensor.randomNormal([1000], stream: s)
        #expect(a.scalars == b.scalars)
        // Element i is the same whatever the tensor's size (so whatever the thread split).
        let longer = Tensor.randomNormal([5000], stream: s)
        #expect(Array(longer.scalars.prefix(1000)) == a.scalars)
        #expect(Tensor.randomNormal([1000], stream: RandomStream(seed: 42).derived(7, 4)).scalars != a.scalars)
        let mean = a.sumAll() / 1000
        let variance = a.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / 1000 - mean * mean
        #expect(Swift.abs(mean) < 0.1 && Swift.abs(variance - 1) < 0.15)
        let u = Tensor.randomUniform([1000], low: -2, high: 3, stream: s).scalars
        #expect(u.allSatisfy { $0 >= -2 && $0 < 3 })
        let t = Tensor.randomTruncatedNormal([1000], std: 1, low: -0.5, high: 0.5, stream: s).scalars
        #expect(t.allSatisfy { $0 >= -0.5 && $0 <= 0.5 })
        #expect(Set(s.permutation(50)) == Set(0..<50))
    }
}

@Suite struct AutogradTests {
    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
        (x * x).sum().backward()
        (x * 3).sum().backward()
        let expected: [Float] = [5, 7, 9]  // 2x + 3
        #expect(x.grad!.scalars == expected)
    }

    @Test func detachAndNoGradCutTheGraph() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGrad: true)
        let y = x * 2
        #expect(!y.detached().requiresGrad && y.detached().scalars == y.scalars)
        let z = noGrad { x * 2 }
        #expect(!z.requiresGrad)
        // A value used twice sums its two paths.
        let w = x * x + x.detached() * x
        w.sum().backward()
        let expected: [Float] = [3, 6]  // 2x from x·x, x from the detached product
        #expect(x.grad!.scalars == expected)
    }

    @Test func varianceOverAll() {
        let x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(Swift.abs(x.variance().item - 1.6666666) < 1e-5)
        checkGradients([randomInput([3, 4], seed: 1)]) { $0[0].variance() }
    }
}
