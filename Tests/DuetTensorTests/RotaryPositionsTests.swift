// Rotary positions on packed qkv: the values against RoFormer's rotation written out per pair,
// values untouched, scores that depend on the offset between tokens only, and the gradient.
import Foundation
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct RotaryPositionsTests {
    /// Token t's pair (i, i + d/2) of each head of q and k turned by t·10000^(−2i/d), in Double.
    @Test func rotatesEachPairOfQueriesAndKeysByItsTokensAngle() {
        let (b, n, heads, d) = (2, 5, 2, 6)
        let width = heads * d
        let x = randomInput([b, n, 3 * width], seed: 3, requiresGrad: false)
        let y = x.rotatingQueriesAndKeys(heads: heads)
        var worst = 0.0
        for s in 0..<b {
            for t in 0..<n {
                let row = (s * n + t) * 3 * width
                for part in 0..<2 {
                    for h in 0..<heads {
                        for i in 0..<d / 2 {
                            let angle = Double(t) * pow(10_000, -2 * Double(i) / Double(d))
                            let at = row + part * width + h * d + i
                            let (x1, x2) = (Double(x.pointer[at]), Double(x.pointer[at + d / 2]))
                            worst = max(worst, abs(Double(y.pointer[at]) - (x1 * cos(angle) - x2 * sin(angle))))
                            worst = max(worst, abs(Double(y.pointer[at + d / 2]) - (x2 * cos(angle) + x1 * sin(angle))))
                        }
                    }
                }
                for j in 0..<width { #expect(y.pointer[row + 2 * width + j] == x.pointer[row + 2 * width + j], "values pass unchanged") }
            }
        }
        #expect(worst < 1e-5, "max deviation from the rotation \(worst)")
    }

    /// The same query and key vectors placed at tokens (t, s) and (t + 3, s + 3) give the same
    /// score: attention sees the offset only.
    @Test func scoresDependOnTheOffsetBetweenTokensOnly() {
        let (n, d) = (9, 8)
        let q = randomInput([d], seed: 5, requiresGrad: false), k = randomInput([d], seed: 6, requiresGrad: false)
        func score(queryAt t: Int, keyAt s: Int) -> Float {
            let packed = Tensor.zeros([1, n, 3 * d])
            for i in 0..<d {
                packed.pointer[t * 3 * d + i] = q.pointer[i]
                packed.pointer[s * 3 * d + d + i] = k.pointer[i]
            }
            let r = packed.rotatingQueriesAndKeys(heads: 1)
            return (0..<d).reduce(0) { $0 + r.pointer[t * 3 * d + $1] * r.pointer[s * 3 * d + d + $1] }
        }
        #expect(abs(score(queryAt: 1, keyAt: 4) - score(queryAt: 4, keyAt: 7)) < 1e-4)
        #expect(abs(score(queryAt: 5, keyAt: 2) - score(queryAt: 8, keyAt: 5)) < 1e-4)
        // Different offsets give different scores (the rotation is not the identity).
        #expect(abs(score(queryAt: 1, keyAt: 4) - score(queryAt: 1, keyAt: 2)) > 1e-3)
    }

    @Test func gradientMatchesCentralDifferences() {
        let x = randomInput([2, 4, 3 * 8], seed: 11)
        checkGradients([x]) { $0[0].rotatingQueriesAndKeys(heads: 2) }
    }
}
