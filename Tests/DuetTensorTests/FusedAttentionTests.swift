// The tiled attention kernel against attention composed from matmul and softmax (values and
// gradients, at head widths on the 16-lane path and off it, over several query blocks, on the
// tile this processor picks), the tile product on both tiles, and the
// packed self- and cross-attention front-ends against the permute-and-split form they replace.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct FusedAttentionTests {
    /// softmax(q·kᵀ/√d + mask)·v from general ops, the slow reference.
    private func composed(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: KeyPaddingMask? = nil) -> Tensor {
        var scores = Tensor.matmul(q, k, transposeB: true) * (1 / Float(q.shape[3]).squareRoot())
        if let mask {
            let bias = Tensor(shape: [mask.batch, 1, 1, mask.keys], scalars: mask.valid.map { $0 ? 0 : -1e9 })
            scores = scores + bias
        }
        return Tensor.matmul(scores.softmax(), v)
    }

    /// Values and the gradients of Σ w·out for each input, from `f`.
    private func valuesAndGradients(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> [Tensor] {
        let leaves = inputs.map { $0.detached().copy().requiringGrad() }
        let out = f(leaves)
        let w = Tensor.randomNormal(out.shape, stream: RandomStream(seed: 77))
        (out * w).sum().backward()
        return [out.detached()] + leaves.map { $0.grad! }
    }

    @Test(arguments: [(16, 64, 37, 2), (64, 100, 100, 1), (32, 50, 197, 2), (24, 7, 9, 3)])
    func matchesComposedOps(width d: Int, queries n: Int, keys m: Int, heads h: Int) {
        let q = randomInput([2, h, n, d], seed: 1), k = randomInput([2, h, m, d], seed: 2), v = randomInput([2, h, m, d], seed: 3)
        let mask = KeyPaddingMask(lengths: [m, max(1, m / 3)], keys: m)
        for keyPadding in [nil, mask] {
            let fused = valuesAndGradients([q, k, v]) { Tensor.attention($0[0], $0[1], $0[2], keyPadding: keyPadding) }
            let reference = valuesAndGradients([q, k, v]) { composed($0[0], $0[1], $0[2], mask: keyPadding) }
            for (i, name) in ["out", "dq", "dk", "dv"].enumerated() {
                expectClose(fused[i], reference[i], tolerance: 1e-4, "\(name) d=\(d) n=\(n) m=\(m) masked=\(keyPadding != nil)")
            }
        }
    }

    @Test func packedSelfAttentionMatchesPermutedHeads() {
        let (b, n, heads, d) = (2, 13, 3, 16)
        let qkv = randomInput([b, n, 3 * heads * d], seed: 4)
        let mask = KeyPaddingMask(lengths: [13, 8], keys: n)
        let packed = valuesAndGradients([qkv]) { Tensor.selfAttention(packed: $0[0], heads: heads, keyPadding: mask) }
        let permuted = valuesAndGradients([qkv]) { x in
            let parts = x[0].reshaped([b, n, 3, heads, d]).permuted([2, 0, 3, 1, 4])
                .split([1, 1, 1], axis: 0).map { $0.reshaped([b, heads, n, d]) }
            return Tensor.attention(parts[0], parts[1], parts[2], keyPadding: mask).transposed(1, 2).reshaped([b, n, heads * d])
        }
        expectClose(packed[0], permuted[0], tolerance: 1e-5, "out")
        expectClose(packed[1], permuted[1], tolerance: 1e-5, "dqkv")
        checkGradients([randomInput([1, 5, 3 * 2 * 4], seed: 5)]) { Tensor.selfAttention(packed: $0[0], heads: 2) }
    }

    @Test func crossAttentionMatchesPermutedHeads() {
        let (b, n, m, heads, d) = (2, 7, 11, 2, 16)
        let query = randomInput([b, n, heads * d], seed: 6), kv = randomInput([b, m, 2 * heads * d], seed: 7)
        let mask = KeyPaddingMask(lengths: [11, 4], keys: m)
        let packed = valuesAndGradients([query, kv]) {
            Tensor.crossAttention(query: $0[0], packedKeyValue: $0[1], heads: heads, keyPadding: mask)
        }
        let permuted = valuesAndGradients([query, kv]) { x in
            let q = x[0].reshaped([b, n, heads, d]).transposed(1, 2)
            let parts = x[1].reshaped([b, m, 2, heads, d]).permuted([2, 0, 3, 1, 4])
                .split([1, 1], axis: 0).map { $0.reshaped([b, heads, m, d]) }
            return Tensor.attention(q, parts[0], parts[1], keyPadding: mask).transposed(1, 2).reshaped([b, n, heads * d])
        }
        for (i, name) in ["out", "dquery", "dkv"].enumerated() {
            expectClose(packed[i], permuted[i], tolerance: 1e-5, name)
        }
        checkGradients([randomInput([1, 3, 8], seed: 8), randomInput([1, 4, 16], seed: 9)]) {
            Tensor.crossAttention(query: $0[0], packedKeyValue: $0[1], heads: 2)
        }
    }

    @Test(arguments: [false, true])
    func tileProductMatchesLoops(wideTiles: Bool) {
        // Rows off the six-row tile (1, 2, 4 and 5 left over, and fewer than six in all), columns
        // off the 16 lanes (and with wide tiles, 32-column tiles, then a 16-column one, then the
        // rest), and Aᵀ through swapped strides.
        for (rows, cols, depth) in [(13, 37, 9), (14, 83, 11), (16, 48, 7), (11, 32, 5), (4, 19, 3)] {
            let a = randomInput([rows, depth], seed: 10, requiresGrad: false), at = a.transposed()
            let b = randomInput([depth, cols], seed: 11, requiresGrad: false)
            let c = Tensor.full([rows, cols], 1), ct = Tensor.full([rows, cols], 1)
            tileProduct(rows: rows, cols: cols, depth: depth, alpha: 0.5, a.pointer, aRowStride: depth, aColStride: 1,
                        b.pointer, bRowStride: cols, c.pointer, cRowStride: cols, accumulate: true, wideTiles: wideTiles)
            tileProduct(rows: rows, cols: cols, depth: depth, alpha: 0.5, at.pointer, aRowStride: 1, aColStride: rows,
                        b.pointer, bRowStride: cols, ct.pointer, cRowStride: cols, accumulate: true, wideTiles: wideTiles)
            let expected = Tensor.matmul(a, b) * 0.5 + 1
            expectClose(c, expected, tolerance: 1e-5, "A·B \(rows)×\(cols)")
            expectClose(ct, expected, tolerance: 1e-5, "(Aᵀ)ᵀ·B \(rows)×\(cols)")
            let overwritten = Tensor.full([rows, cols], 7)
            tileProduct(rows: rows, cols: cols, depth: depth, alpha: 0.5, a.pointer, aRowStride: depth, aColStride: 1,
                        b.pointer, bRowStride: cols, overwritten.pointer, cRowStride: cols, accumulate: false, wideTiles: wideTiles)
            expectClose(overwritten, Tensor.matmul(a, b) * 0.5, tolerance: 1e-5, "A·B \(rows)×\(cols) without accumulating")
        }
    }

    /// Backward from the probabilities forward kept and from probabilities recomputed out of the
    /// log-sum-exp (the path of calls above `keptProbabilityLimit`), with a padding mask.
    @Test func keptAndRecomputedProbabilitiesGiveTheSameGradients() {
        let (b, h, n, d) = (2, 2, 53, 16)
        let s = AttentionShape(batch: b, heads: h, queries: n, keys: n, headDim: d, scale: 0.25)
        let layout = HeadLayout(batchStride: h * n * d, headStride: n * d, rowStride: d)
        let q = randomInput([b, h, n, d], seed: 20, requiresGrad: false), k = randomInput([b, h, n, d], seed: 21, requiresGrad: false)
        let v = randomInput([b, h, n, d], seed: 22, requiresGrad: false), g = randomInput([b, h, n, d], seed: 23, requiresGrad: false)
        let bias = KeyPaddingMask(lengths: [53, 30], keys: n).additiveBias
        var results: [[Tensor]] = []
        for keep in [false, true] {
            let out = Tensor.zeros([b, h, n, d]), lse = Tensor.zeros([b, h, n])
            let kept = keep ? Tensor.zeros([b * h * n * s.paddedKeys]) : nil
            let (dq, dk, dv) = (Tensor.zeros([b, h, n, d]), Tensor.zeros([b, h, n, d]), Tensor.zeros([b, h, n, d]))
            bias.withUnsafeBufferPointer { biasP in
                attentionForward(s, q: q.pointer, layout, k: k.pointer, layout, v: v.pointer, layout, out: out.pointer, layout,
                                 lse: lse.pointer, bias: biasP.baseAddress, keptProbabilities: kept?.pointer)
                attentionBackward(s, q: q.pointer, layout, k: k.pointer, layout, v: v.pointer, layout, g: g.pointer, layout,
                                  lse: lse.pointer, bias: biasP.baseAddress, dq: dq.pointer, dk: dk.pointer, dv: dv.pointer,
                                  keptProbabilities: kept.map { UnsafePointer($0.pointer) })
            }
            results.append([out, dq, dk, dv])
        }
        for (i, name) in ["out", "dq", "dk", "dv"].enumerated() {
            expectClose(results[1][i], results[0][i], tolerance: 1e-5, name)
        }
        // Both match the composed reference.
        let mask = KeyPaddingMask(lengths: [53, 30], keys: n)
        let reference = valuesAndGradients([q, k, v]) { composed($0[0], $0[1], $0[2], mask: mask) }
        expectClose(results[0][0], reference[0], tolerance: 1e-4, "out against composed")
    }

    @Test func queryBlocksAreEvenMultiplesOfSixWithinTheCacheBlock() {
        #expect(queryBlockRows(196) == 42)
        #expect(queryBlockRows(512) == 48)
        #expect(queryBlockRows(48) == 48)
        #expect(queryBlockRows(10) == 12)
        for queries in 1...600 {
            let rows = queryBlockRows(queries)
            #expect(rows % 6 == 0 && rows <= attentionQueryBlock && rows > 0)
            // No more blocks than the cache block itself would take.
            #expect((queries + rows - 1) / rows == (queries + attentionQueryBlock - 1) / attentionQueryBlock)
        }
    }
}
