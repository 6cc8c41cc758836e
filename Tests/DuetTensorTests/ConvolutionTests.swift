// Convolutions: the im2col path against a direct loop from the definition, and finite-difference
// gradients for conv1d (grouped), conv2d (strided, padded) and conv3d.
import Testing
import DuetTestSupport
@testable import DuetTensor

/// A sliding window's sizes padded to three spatial axes (leading axes of size 1), for the
/// direct loops that check the kernels.
struct DirectWindow {
    let input, kernel, stride, padding, output: [Int]

    init(spatial: [Int], kernel: [Int], stride: [Int], padding: [Int]) {
        let lead = 3 - spatial.count
        func three(_ a: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: lead) + a }
        input = three(spatial, 1)
        self.kernel = three(kernel, 1)
        self.stride = three(stride, 1)
        self.padding = three(padding, 0)
        var output: [Int] = []
        for a in 0..<3 {
            let padded: Int = input[a] + 2 * self.padding[a]
            output.append((padded - self.kernel[a]) / self.stride[a] + 1)
        }
        self.output = output
    }
}

/// Convolution straight from its definition (up to three spatial axes), for checking im2col.
func directConvolution(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride: [Int], padding: [Int], groups: Int) -> Tensor {
    let n = w.rank - 2
    let g = DirectWindow(spatial: Array(x.shape[2...]), kernel: Array(w.shape[2...]), stride: stride, padding: padding)
    let inSize = g.input, k = g.kernel, s = g.stride, p = g.padding, outSize = g.output
    let batch = x.shape[0], channels = x.shape[1], outChannels = w.shape[0]
    let groupIn = channels / groups, groupOut = outChannels / groups
    let out = Tensor.zeros([batch, outChannels] + Array(outSize.suffix(n)))
    var o = 0
    for b in 0..<batch {
        for oc in 0..<outChannels {
            for od in 0..<outSize[0] {
                for oh in 0..<outSize[1] {
                    for ow in 0..<outSize[2] {
                        var acc = Double(bias?.pointer[oc] ?? 0)
                        for ic in 0..<groupIn {
                            let c = oc / groupOut * groupIn + ic
                            for kd in 0..<k[0] {
                                for kh in 0..<k[1] {
                                    for kw in 0..<k[2] {
                                        let d = od * s[0] - p[0] + kd, h = oh * s[1] - p[1] + kh, wi = ow * s[2] - p[2] + kw
                                        guard d >= 0, d < inSize[0], h >= 0, h < inSize[1], wi >= 0, wi < inSize[2] else { continue }
                                        let xi = (((b * channels + c) * inSize[0] + d) * inSize[1] + h) * inSize[2] + wi
                                        let wIndex = (((oc * groupIn + ic) * k[0] + kd) * k[1] + kh) * k[2] + kw
                                        acc += Double(x.pointer[xi]) * Double(w.pointer[wIndex])
                                    }
                                }
                            }
                        }
                        out.pointer[o] = Float(acc)
                        o += 1
                    }
                }
            }
        }
    }
    return out
}

@Suite struct ConvolutionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int], weight: [Int], stride: [Int], padding: [Int], groups: Int, bias: Bool
        var testDescription: String { "x \(input) w \(weight) s \(stride) p \(padding) g \(groups)" }
    }

    static let cases: [Case] = [
        Case(input: [2, 4, 9], weight: [6, 2, 3], stride: [2], padding: [1], groups: 2, bias: true),
        Case(input: [2, 4, 6, 7], weight: [4, 2, 3, 2], stride: [2, 1], padding: [1, 0], groups: 2, bias: false),
        Case(input: [1, 3, 4, 7, 6], weight: [2, 3, 3, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0], groups: 1, bias: true),
        // RAVEn's stem in small (depth stride 1: columns shared between depth taps), and a depth
        // stride of 2 and groups, which take the general path.
        Case(input: [2, 1, 6, 12, 12], weight: [4, 1, 5, 7, 7], stride: [1, 2, 2], padding: [2, 3, 3], groups: 1, bias: false),
        Case(input: [2, 4, 5, 6, 5], weight: [4, 2, 3, 3, 2], stride: [2, 1, 2], padding: [1, 1, 0], groups: 2, bias: true),
        // Patch embedding: kernel = stride, no padding.
        Case(input: [2, 3, 8, 12], weight: [5, 3, 4, 4], stride: [4, 4], padding: [0, 0], groups: 1, bias: true),
        // Padding larger than the kernel reach leaves all-padding windows at the edges.
        Case(input: [1, 2, 5], weight: [3, 2, 2], stride: [3], padding: [3], groups: 1, bias: true),
    ]

    @Test(arguments: cases)
    func matchesDirectConvolution(_ c: Case) {
        let x = randomInput(c.input, seed: 1, requiresGrad: false)
        let w = randomInput(c.weight, seed: 2, requiresGrad: false)
        let b = c.bias ? randomInput([c.weight[0]], seed: 3, requiresGrad: false) : nil
        let y = convolution(x, weight: w, bias: b, stride: c.stride, padding: c.padding, groups: c.groups)
        let expected = directConvolution(x, w, b, stride: c.stride, padding: c.padding, groups: c.groups)
        #expect(y.shape == expected.shape)
        expectClose(y, expected, tolerance: 1e-6, c.testDescription)
    }

    @Test func conv1dGroupedGradients() {
        let x = randomInput([2, 4, 7], seed: 11), w = randomInput([6, 2, 3], seed: 12), b = randomInput([6], seed: 13)
        checkGradients([x, w, b]) { conv1d($0[0], weight: $0[1], bias: $0[2], padding: 1, groups: 2) }
    }

    @Test func conv2dStridedPaddedGradients() {
        let x = randomInput([2, 3, 6, 5], seed: 21), w = randomInput([4, 3, 3, 3], seed: 22)
        checkGradients([x, w]) { conv2d($0[0], weight: $0[1], stride: (2, 2), padding: (1, 1)) }
        let b = randomInput([4], seed: 23)
        checkGradients([x, w, b]) { conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (0, 1)) }
    }

    @Test func conv3dGradients() {
        let x = randomInput([1, 2, 4, 5, 4], seed: 31), w = randomInput([3, 2, 2, 3, 2], seed: 32)
        let b = randomInput([3], seed: 33)
        checkGradients([x, w, b]) { conv3d($0[0], weight: $0[1], bias: $0[2], stride: (1, 2, 1), padding: (1, 1, 0)) }
    }

    @Test func conv3dSharedDepthTapsGradients() {
        let x = randomInput([2, 2, 4, 6, 5], seed: 36), w = randomInput([3, 2, 3, 3, 3], seed: 37)
        checkGradients([x, w]) { conv3d($0[0], weight: $0[1], stride: (1, 2, 2), padding: (1, 1, 1)) }
    }

    @Test func onlyTheWeightNeedsAGradient() {
        let x = randomInput([1, 2, 5, 5], seed: 41, requiresGrad: false), w = randomInput([3, 2, 3, 3], seed: 42)
        checkGradients([x, w]) { conv2d($0[0], weight: $0[1], padding: (1, 1)) }
        #expect(x.grad == nil)
    }

    /// A batch large enough to take several column matrices (the trunk's per-frame batches do)
    /// gives, sample for sample, what each sample gives alone, forward and backward.
    @Test func chunkedBatchesMatchOneSampleAtATime() {
        let batch = 36
        let x = randomInput([batch, 8, 20, 20], seed: 51), w = randomInput([6, 4, 5, 5], seed: 52)
        let b = randomInput([6], seed: 53)
        let y = conv2d(x, weight: w, bias: b, padding: (2, 2), groups: 2)
        let g = randomInput(y.shape, seed: 54, requiresGrad: false)
        y.backward(g)
        let gwSum = Tensor.zeros(w.shape), gbSum = Tensor.zeros(b.shape)
        for s in 0..<batch {
            let xs = x.narrowed(axis: 0, start: s, length: 1).copy().requiringGrad()
            let ws = w.copy().requiringGrad(), bs = b.copy().requiringGrad()
            let ys = conv2d(xs, weight: ws, bias: bs, padding: (2, 2), groups: 2)
            ys.backward(g.narrowed(axis: 0, start: s, length: 1))
            expectClose(y.narrowed(axis: 0, start: s, length: 1), ys, tolerance: 1e-6, "y of sample \(s)")
            expectClose(x.grad!.narrowed(axis: 0, start: s, length: 1), xs.grad!, tolerance: 1e-6, "gx of sample \(s)")
            for i in 0..<w.count { gwSum.pointer[i] += ws.grad!.pointer[i] }
            for i in 0..<b.count { gbSum.pointer[i] += bs.grad!.pointer[i] }
        }
        expectClose(w.grad!, gwSum, tolerance: 1e-5, "gw")
        expectClose(b.grad!, gbSum, tolerance: 1e-5, "gb")
    }
}
