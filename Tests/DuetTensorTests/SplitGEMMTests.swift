// Products split over the kernel threads against a plain triple loop in Double, across the
// split's cases: one slice (small), rows, columns, both transposes, strided operands, beta.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct SplitGEMMTests {
    /// C = alpha·op(A)·op(B) + beta·C0 by the definition, in Double.
    private func reference(ta: Bool, tb: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                           b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for t in 0..<k {
                    let x = ta ? a[t * lda + i] : a[i * lda + t]
                    let y = tb ? b[j * ldb + t] : b[t * ldb + j]
                    sum += Double(x) * Double(y)
                }
                out[i * ldc + j] = Float(Double(alpha) * sum + Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    private func check(m: Int, n: Int, k: Int, ta: Bool, tb: Bool, pad: Int = 0, alpha: Float = 1, beta: Float = 0) {
        let stream = RandomStream(seed: UInt64(m * 131 + n * 17 + k))
        let lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad
        let a = Tensor.randomNormal([(ta ? k : m) * lda], stream: stream)
        let b = Tensor.randomNormal([(tb ? n : k) * ldb], stream: stream)
        let c = Tensor.randomNormal([m * ldc], stream: stream)
        let before = c.scalars
        let expected = reference(ta: ta, tb: tb, m: m, n: n, k: k, alpha: alpha, a: a.scalars, lda: lda,
                                 b: b.scalars, ldb: ldb, beta: beta, c: c.scalars, ldc: ldc)
        stridedSgemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a.pointer, lda: lda,
                     b.pointer, ldb: ldb, beta: beta, c.pointer, ldc: ldc)
        let got = c.scalars
        var worst: Float = 0
        for i in 0..<m { for j in 0..<n { worst = max(worst, abs(got[i * ldc + j] - expected[i * ldc + j])) } }
        #expect(worst < 1e-3 * Float(k).squareRoot(), "m \(m) n \(n) k \(k) ta \(ta) tb \(tb) pad \(pad): \(worst)")
        // Padding columns of C are not part of the product and must be left alone.
        for i in 0..<m { for j in n..<(n + pad) where got[i * ldc + j] != before[i * ldc + j] {
            Issue.record("padding of C changed at row \(i), column \(j)")
        } }
    }

    @Test func splitCasesMatchTheDefinition() {
        #expect(GEMMSplit(m: 8, n: 8, k: 8).slices == 1)
        #expect(GEMMSplit(m: 200, n: 40, k: 64).alongRows)
        #expect(!GEMMSplit(m: 20, n: 300, k: 64).alongRows)
        #expect(GEMMSplit(m: 80, n: 300, k: 40).alongRows == (80 >= 32 * kernelThreadCount))
        for ta in [false, true] {
            for tb in [false, true] {
                check(m: 7, n: 5, k: 3, ta: ta, tb: tb)                    // one slice
                check(m: 40, n: 6, k: 5, ta: ta, tb: tb)                   // one slice, taller than 16 rows
                check(m: 200, n: 40, k: 64, ta: ta, tb: tb)               // rows, a ragged last slice
                check(m: 20, n: 300, k: 64, ta: ta, tb: tb)               // columns
                check(m: 20, n: 300, k: 64, ta: ta, tb: tb, pad: 3, alpha: 0.5, beta: -0.5) // columns, strided
                check(m: 80, n: 300, k: 40, ta: ta, tb: tb)               // rows though wider than tall
                check(m: 97, n: 70, k: 50, ta: ta, tb: tb, pad: 3, alpha: 0.5, beta: 1) // strided, accumulating
            }
        }
    }

    @Test func weightGradientsSumPartialsOverTheTokens() {
        #expect(GEMMSplit.overK(transposeA: true, transposeB: false, m: 24, n: 20, k: 1200) == (kernelThreadCount > 1))
        #expect(!GEMMSplit.overK(transposeA: false, transposeB: false, m: 24, n: 20, k: 1200))
        check(m: 24, n: 20, k: 1200, ta: true, tb: false)
        check(m: 24, n: 20, k: 1201, ta: true, tb: false, pad: 2, alpha: 0.5, beta: 1)
    }

    @Test func emptyInnerDimensionScalesC() {
        let c = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let a = Tensor.zeros([2, 1]), b = Tensor.zeros([1, 3])
        stridedSgemm(transposeA: false, transposeB: false, m: 2, n: 3, k: 0, a.pointer, lda: 1, b.pointer, ldb: 3,
                     beta: 2, c.pointer, ldc: 3)
        #expect(c.scalars == [2, 4, 6, 8, 10, 12])
    }
}
