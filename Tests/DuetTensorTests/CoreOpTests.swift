// Gradient checks and behaviour of shape ops, matmul, linear, normalisation, softmax,
// attention, token gather/scatter and dropout.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct ShapeOpTests {
    @Test func permuteAndTranspose() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.transposed().scalars == [1, 4, 2, 5, 3, 6])
        let y = randomInput([2, 3, 4, 5], seed: 1)
        checkGradients([y]) { $0[0].permuted([2, 0, 3, 1]) }
        checkGradients([y]) { $0[0].transposed() }
        let big = randomInput([3, 40, 37], seed: 2, requiresGrad: false)
        let t = big.transposed()
        #expect(t.shape == [3, 37, 40])
        #expect(t.pointer[1 * 37 * 40 + 5 * 40 + 7] == big.pointer[1 * 40 * 37 + 7 * 37 + 5])
    }

    @Test func concatNarrowSplitPadRepeat() {
        let a = randomInput([2, 3, 4], seed: 3), b = randomInput([2, 5, 4], seed: 4)
        checkGradients([a, b]) { Tensor.concat($0, axis: 1) }
        checkGradients([a]) { $0[0].narrowed(axis: 2, start: 1, length: 2) }
        checkGradients([b]) { $0[0].split([2, 3], axis: 1)[1] }
        checkGradients([a]) { $0[0].padded([(1, 2), (0, 1)], value: 0.5) }
        checkGradients([a]) { $0[0].repeated([1, 2, 3]) }
        checkGradients([randomInput([3, 1], seed: 5)]) { $0[0].expanded(to: [2, 3, 4]) }
        let x = Tensor(shape: [1, 2], scalars: [1, 2])
        #expect(x.repeated([2, 2]).scalars == [1, 2, 1, 2, 1, 2, 1, 2])
        #expect(x.padded([(1, 0)], value: 9).scalars == [9, 1, 2])
        let parts = Tensor.arange(0, 6).split([1, 2, 3], axis: 0)
        #expect(parts.map(\.scalars) == [[0], [1, 2], [3, 4, 5]])
    }

    @Test func tokenGatherAndScatter() {
        let x = randomInput([2, 6, 3], seed: 6)
        let keep = TokenIndices(rows: [[4, 0, 2], [1, 5, 3]])
        let kept = x.gatheringTokens(keep)
        #expect(kept.shape == [2, 3, 3])
        #expect(Array(kept.scalars[0..<3]) == Array(x.scalars[12..<15]))
        checkGradients([x]) { $0[0].gatheringTokens(keep) }
        let base = randomInput([2, 6, 3], seed: 7), src = randomInput([2, 3, 3], seed: 8)
        checkGradients([src, base]) { $0[0].scatteringTokens(keep, into: $0[1]) }
        // Scatter undoes gather on the kept rows.
        let restored = kept.scatteringTokens(keep, into: Tensor.zeros([2, 6, 3]))
        #expect(Array(restored.scalars[12..<15]) == Array(x.scalars[12..<15]))
    }
}

@Suite struct MatrixOpTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func batchedMatmul(_ flags: (Bool, Bool)) {
        let (ta, tb) = flags
        let a = randomInput(ta ? [2, 4, 3] : [2, 3, 4], seed: 10), b = randomInput(tb ? [2, 5, 4] : [2, 4, 5], seed: 11)
        checkGradients([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        let shared = randomInput(tb ? [5, 4] : [4, 5], seed: 12)
        checkGradients([a, shared]) { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
    }

    @Test func matmulValues() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        #expect(Tensor.matmul(a, b).scalars == [19, 22, 43, 50])
        #expect(Tensor.matmul(a, b, transposeA: true).scalars == [26, 30, 38, 44])
    }

    @Test(arguments: [LinearActivation.none, .gelu, .geluTanh])
    func linear(_ activation: LinearActivation) {
        let x = randomInput([2, 3, 5], seed: 13), w = randomInput([4, 5], seed: 14), b = randomInput([4], seed: 15)
        checkGradients([x, w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation) }
        checkGradients([x, w]) { Tensor.linear($0[0], weight: $0[1], activation: activation) }
        // The fused epilogue equals the composed ops.
        let fused = noGrad { Tensor.linear(x, weight: w, bias: b, activation: activation) }
        let plain = noGrad { Tensor.linear(x, weight: w, bias: b) }
        let composed = activation == .none ? plain : plain.gelu(approximate: activation == .gelu ? .none : .tanh)
        #expect(zip(fused.scalars, composed.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }

    /// The activation's backward sums the bias gradient in the same pass, each range of rows into
    /// its own scratch row: over rows enough for several ranges it equals the composed ops' gradients.
    @Test(arguments: [LinearActivation.gelu, .geluTanh])
    func fusedBiasGradientOverManyRows(_ activation: LinearActivation) {
        let x = randomInput([600, 24], seed: 16), w = randomInput([64, 24], seed: 17, scale: 0.3), b = randomInput([64], seed: 18)
        let upstream = randomInput([600, 64], seed: 19, requiresGrad: false)
        func gradients(_ f: ([Tensor]) -> Tensor) -> [Tensor] {
            let leaves = [x, w, b].map { $0.detached().copy().requiringGrad() }
            f(leaves).backward(upstream)
            return leaves.map { $0.grad! }
        }
        let fused = gradients { Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation) }
        let composed = gradients {
            Tensor.linear($0[0], weight: $0[1], bias: $0[2]).gelu(approximate: activation == .gelu ? .none : .tanh)
        }
        for (i, name) in ["dx", "dw", "db"].enumerated() { expectClose(fused[i], composed[i], tolerance: 1e-5, name) }
    }
}

@Suite struct NormalizationTests {
    @Test func layerNorm() {
        let x = randomInput([3, 4, 6], seed: 20, scale: 2), w = randomInput([6], seed: 21), b = randomInput([6], seed: 22)
        checkGradients([x, w, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2], eps: 1e-6) }
        checkGradients([x, w]) { $0[0].layerNorm(weight: $0[1]) }
        checkGradients([x]) { $0[0].layerNorm() }
    }

    @Test func instanceAndL2Normalization() {
        let x = randomInput([2, 5, 3], seed: 23)
        checkGradients([x]) { $0[0].instanceNormOverTime() }
        checkGradients([x]) { $0[0].l2Normalized() }
        let y = noGrad { x.l2Normalized() }
        let norms = noGrad { (y * y).sum(axis: -1) }
        #expect(norms.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
    }

    @Test func softmaxFamily() {
        let x = randomInput([3, 4, 5], seed: 24, scale: 2)
        checkGradients([x]) { $0[0].softmax() }
        checkGradients([x]) { $0[0].logSoftmax() }
        checkGradients([x]) { $0[0].softmax(axis: 1) }
        let rows = noGrad { x.softmax().sum(axis: -1) }
        #expect(rows.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
    }
}

@Suite struct AttentionTests {
    @Test func gradients() {
        let q = randomInput([2, 2, 5, 4], seed: 30), k = randomInput([2, 2, 7, 4], seed: 31), v = randomInput([2, 2, 7, 4], seed: 32)
        checkGradients([q, k, v]) { Tensor.attention($0[0], $0[1], $0[2]) }
        let mask = KeyPaddingMask(lengths: [7, 4], keys: 7)
        checkGradients([q, k, v]) { Tensor.attention($0[0], $0[1], $0[2], keyPadding: mask) }
    }

    @Test func matchesComposedOps() {
        let q = randomInput([1, 2, 5, 4], seed: 33), k = randomInput([1, 2, 6, 4], seed: 34), v = randomInput([1, 2, 6, 4], seed: 35)
        let fused = noGrad { Tensor.attention(q, k, v) }
        let composed = noGrad { Tensor.matmul((Tensor.matmul(q, k, transposeB: true) * 0.5).softmax(), v) }
        #expect(zip(fused.scalars, composed.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }

    @Test func paddedKeysAreIgnored() {
        let q = randomInput([1, 1, 3, 4], seed: 36, requiresGrad: false)
        let k = randomInput([1, 1, 5, 4], seed: 37, requiresGrad: false), v = randomInput([1, 1, 5, 4], seed: 38, requiresGrad: false)
        let masked = Tensor.attention(q, k, v, keyPadding: KeyPaddingMask(lengths: [3], keys: 5))
        let cut = Tensor.attention(q, k.narrowed(axis: 2, start: 0, length: 3), v.narrowed(axis: 2, start: 0, length: 3))
        #expect(zip(masked.scalars, cut.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }
}

@Suite struct DropoutTests {
    @Test func dropoutIsDeterministicAndScaled() {
        let x = Tensor.ones([1000])
        let s = RandomStream(seed: 5)
        let a = x.dropout(0.25, stream: s), b = x.dropout(0.25, stream: s)
        #expect(a.scalars == b.scalars)
        let kept = a.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.75) < 1e-6 })
        #expect(Swift.abs(Double(kept.count) / 1000 - 0.75) < 0.05)
        let xs = randomInput([6, 4], seed: 40)
        checkGradients([xs]) { $0[0].dropout(0.3, stream: s) }
        checkGradients([xs]) { $0[0].dropPath(0.5, stream: s) }
        let dp = noGrad { Tensor.ones([8, 3]).dropPath(0.5, stream: s) }
        for r in 0..<8 { #expect(Set(dp.scalars[(r * 3)..<(r * 3 + 3)]).count == 1) }
    }
}
