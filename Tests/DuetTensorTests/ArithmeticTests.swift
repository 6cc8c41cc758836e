// Broadcasting arithmetic: values and gradients.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct ArithmeticTests {
    @Test func broadcastAddOverRows() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let b = Tensor(shape: [3], scalars: [10, 20, 30], requiresGrad: true)
        let y = a + b
        #expect(y.scalars == [11, 22, 33, 14, 25, 36])
        (y * y).sum().backward()
        let expected: [Float] = [50, 94, 138]  // 2·(11+14), 2·(22+25), 2·(33+36)
        #expect(b.grad!.scalars == expected)
    }
}

@Suite struct ElementwiseGradientTests {
    @Test func binaryOpsWithBroadcasting() {
        let a = randomInput([2, 3, 4], seed: 1), b = randomInput([4], seed: 2)
        let c = randomInput([2, 3, 1], seed: 3), d = randomInput([3, 4], seed: 4).map { $0.magnitude + 0.5 }.requiringGrad()
        checkGradients([a, b]) { $0[0] + $0[1] }
        checkGradients([a, b]) { $0[0] - $0[1] }
        checkGradients([a, c]) { $0[0] * $0[1] }
        checkGradients([a, d]) { $0[0] / $0[1] }
        checkGradients([c, a]) { $0[0] - $0[1] * 2 + 1 }
        // Away from ties: b is shifted so that no pair is within the central difference's reach.
        let apart = randomInput([2, 3, 4], seed: 5).map { $0 + ($0 > 0 ? 0.3 : -0.3) }.requiringGrad()
        checkGradients([apart, b]) { Tensor.maximum($0[0], $0[1] * 0.1) }
        checkGradients([apart, b]) { Tensor.minimum($0[0], $0[1] * 0.1) }
        checkGradients([a]) { $0[0].reshaped([6, 4]).flattened() }
    }

    @Test(arguments: ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "silu", "geluErf", "geluTanh", "pow3", "clamp", "neg"])
    func unary(_ name: String) {
        let x = randomInput([5, 7], seed: 11)
        let positive = x.map { $0.magnitude + 0.3 }.requiringGrad()
        // Points within 0.05 of a kink (0 for abs and relu, ±1 for clamp) would make the
        // central difference straddle it.
        let awayFromKinks = x.map { v in
            var v = v
            for k: Float in [0, 1, -1] where Swift.abs(v - k) < 0.05 { v = k + 0.1 }
            return v
        }.requiringGrad()
        switch name {
        case "exp": checkGradients([x]) { $0[0].exp() }
        case "log": checkGradients([positive]) { $0[0].log() }
        case "sqrt": checkGradients([positive]) { $0[0].sqrt() }
        case "abs": checkGradients([awayFromKinks]) { $0[0].abs() }
        case "tanh": checkGradients([x]) { $0[0].tanh() }
        case "sigmoid": checkGradients([x]) { $0[0].sigmoid() }
        case "relu": checkGradients([awayFromKinks]) { $0[0].relu() }
        case "silu": checkGradients([x]) { $0[0].silu() }
        case "geluErf": checkGradients([x]) { $0[0].gelu() }
        case "geluTanh": checkGradients([x]) { $0[0].gelu(approximate: .tanh) }
        case "pow3": checkGradients([x]) { $0[0].pow(3) }
        case "clamp": checkGradients([awayFromKinks]) { $0[0].clamped(min: -1, max: 1) }
        default: checkGradients([x]) { -$0[0] }
        }
    }

    @Test func reductions() {
        let x = randomInput([3, 4, 5], seed: 21)
        for axis in 0..<3 {
            checkGradients([x]) { $0[0].sum(axis: axis) }
            checkGradients([x]) { $0[0].mean(axis: axis, keepingDims: true) }
            checkGradients([x]) { $0[0].max(axis: axis) }
            checkGradients([x]) { $0[0].variance(axis: axis) }
        }
        checkGradients([x]) { $0[0].mean() }
        checkGradients([x]) { Tensor.globalNorm([$0[0]]) }
    }
}
