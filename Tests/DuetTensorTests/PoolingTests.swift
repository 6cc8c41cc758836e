// Max and average pooling: small hand-worked cases, a direct loop from the definition in 1-D to
// 3-D, and finite-difference gradients (max-pool on inputs without near ties).
import Testing
import DuetTestSupport
@testable import DuetTensor

/// Pooling straight from its definition (PyTorch semantics), for up to three spatial axes.
func directPool(_ kind: PoolingKind, _ x: Tensor, kernel: [Int], stride: [Int], padding: [Int]) -> Tensor {
    let n = kernel.count
    let g = DirectWindow(spatial: Array(x.shape[2...]), kernel: kernel, stride: stride, padding: padding)
    let inSize = g.input, k = g.kernel, s = g.stride, p = g.padding, outSize = g.output
    let planes = x.shape[0] * x.shape[1]
    let out = Tensor.zeros(Array(x.shape[..<2]) + Array(outSize.suffix(n)))
    var o = 0
    for plane in 0..<planes {
        for od in 0..<outSize[0] {
            for oh in 0..<outSize[1] {
                for ow in 0..<outSize[2] {
                    var best = -Float.infinity, total: Float = 0
                    for kd in 0..<k[0] {
                        for kh in 0..<k[1] {
                            for kw in 0..<k[2] {
                                let d = od * s[0] - p[0] + kd, h = oh * s[1] - p[1] + kh, w = ow * s[2] - p[2] + kw
                                guard d >= 0, d < inSize[0], h >= 0, h < inSize[1], w >= 0, w < inSize[2] else { continue }
                                let v = x.pointer[((plane * inSize[0] + d) * inSize[1] + h) * inSize[2] + w]
                                best = max(best, v)
                                total += v
                            }
                        }
                    }
                    out.pointer[o] = kind == .max ? best : total / Float(k.reduce(1, *))
                    o += 1
                }
            }
        }
    }
    return out
}

/// Distinct values 0.1 apart in a random order: a finite difference of 1e-2 cannot change a
/// window's maximum.
func inputWithoutTies(_ shape: [Int], seed: UInt64) -> Tensor {
    let n = shape.reduce(1, *)
    let order = RandomStream(seed: seed).permutation(n)
    return Tensor(shape: shape, scalars: order.map { Float($0) * 0.1 - Float(n) * 0.05 }, requiresGrad: true)
}

@Suite struct PoolingTests {
    @Test func handWorkedOneDimensional() {
        let x = Tensor(shape: [1, 1, 5], scalars: [1, 3, 2, 5, 4], requiresGrad: true)
        let m = pool1d(.max, x, kernel: 2)
        #expect(m.scalars == [3, 5])
        m.backward(Tensor(shape: [1, 1, 2], scalars: [10, 20]))
        #expect(x.grad!.scalars == [0, 10, 0, 20, 0])

        let a = pool1d(.average, Tensor(shape: [1, 1, 3], scalars: [3, 6, 9]), kernel: 3, stride: 1, padding: 1)
        #expect(a.scalars == [3, 6, 5])  // padding counts: (0+3+6)/3, (3+6+9)/3, (6+9+0)/3
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int], kernel: [Int], stride: [Int], padding: [Int]
        var testDescription: String { "x \(input) k \(kernel) s \(stride) p \(padding)" }
    }

    static let cases: [Case] = [
        Case(input: [2, 3, 9], kernel: [3], stride: [2], padding: [1]),
        Case(input: [2, 2, 7, 6], kernel: [3, 2], stride: [2, 2], padding: [1, 1]),
        Case(input: [1, 2, 4, 7, 7], kernel: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]),
        Case(input: [1, 2, 5, 4, 6], kernel: [2, 2, 3], stride: [2, 1, 3], padding: [1, 0, 1]),
    ]

    @Test(arguments: cases)
    func matchesDirectPooling(_ c: Case) {
        let x = randomInput(c.input, seed: 5, requiresGrad: false)
        for kind in [PoolingKind.max, .average] {
            let y = pool(kind, x, kernel: c.kernel, stride: c.stride, padding: c.padding)
            let expected = directPool(kind, x, kernel: c.kernel, stride: c.stride, padding: c.padding)
            #expect(y.shape == expected.shape)
            expectClose(y, expected, tolerance: 1e-6, "\(kind) \(c.testDescription)")
        }
    }

    @Test(arguments: cases)
    func gradients(_ c: Case) {
        let distinct = inputWithoutTies(c.input, seed: 7)
        checkGradients([distinct]) { pool(.max, $0[0], kernel: c.kernel, stride: c.stride, padding: c.padding) }
        let x = randomInput(c.input, seed: 8)
        checkGradients([x]) { pool(.average, $0[0], kernel: c.kernel, stride: c.stride, padding: c.padding) }
    }

    @Test func fixedDimensionFrontEnds() {
        let x1 = inputWithoutTies([1, 2, 8], seed: 1)
        checkGradients([x1]) { pool1d(.max, $0[0], kernel: 3, stride: 2, padding: 1) }
        checkGradients([x1]) { pool1d(.average, $0[0], kernel: 2) }
        let x2 = inputWithoutTies([1, 2, 5, 6], seed: 2)
        checkGradients([x2]) { pool2d(.max, $0[0], kernel: (2, 3), padding: (1, 1)) }
        checkGradients([x2]) { pool2d(.average, $0[0], kernel: (3, 3), stride: (1, 2), padding: (1, 0)) }
        let x3 = inputWithoutTies([1, 1, 4, 5, 5], seed: 3)
        checkGradients([x3]) { pool3d(.max, $0[0], kernel: (1, 3, 3), stride: (1, 2, 2), padding: (0, 1, 1)) }
        checkGradients([x3]) { pool3d(.average, $0[0], kernel: (2, 2, 2), stride: (2, 1, 1)) }
    }
}
