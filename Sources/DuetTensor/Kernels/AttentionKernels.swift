// The row passes of attention between its GEMMs: masked softmax in place (saving log-sum-exp)
// and the score gradient dS = P ⊙ (dP − Δ) with P recomputed from the saved statistics.

/// s ← softmax(s + bias) per row in place; lse[r] = log Σ exp(s + bias).
func attentionSoftmax(_ s: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
                      logSumExp: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((s, bias, logSumExp))
    parallelFor(rows, grain: Swift.max(1, 8192 / Swift.max(cols, 1))) { range in
        let (s, bias, lse) = p.value
        for r in range {
            let row = s + r * cols
            if let bias { for c in 0..<cols { row[c] += bias[c] } }
            var mx = maxContiguous(row, cols)
            if mx == -.infinity { mx = 0 }  // every key masked: the row becomes zeros
            // The exponentials as a pure map (vectorised), then the sum in SIMD16 lanes.
            for c in 0..<cols { row[c] = fastExp(row[c] - mx) }
            let sum = sumContiguous(row, cols)
            let inv: Float = sum > 0 ? 1 / sum : 0
            for c in 0..<cols { row[c] *= inv }
            lse[r] = sum > 0 ? mx + logf(sum) : .infinity
        }
    }
}

/// p ← exp(p + bias − lse) (the probabilities, from raw scaled scores); dp ← p ⊙ (dp − Δ).
func attentionScoreGradient(_ p: UnsafeMutablePointer<Float>, _ dp: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                            bias: UnsafePointer<Float>?, logSumExp: UnsafeMutablePointer<Float>,
                            delta: UnsafeMutablePointer<Float>) {
    let q = UncheckedSendable((p, dp, bias, logSumExp, delta))
    parallelFor(rows, grain: Swift.max(1, 8192 / Swift.max(cols, 1))) { range in
        let (p, dp, bias, lse, delta) = q.value
        for r in range {
            let pr = p + r * cols, dr = dp + r * cols
            let l = lse[r], dl = delta[r]
            if let bias { for c in 0..<cols { pr[c] += bias[c] } }
            for c in 0..<cols {
                let prob = fastExp(pr[c] - l)
                pr[c] = prob
                dr[c] = prob * (dr[c] - dl)
            }
        }
    }
}

/// out[r] = Σ_c a[r, c]·b[r, c].
func rowDot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
            rows: Int, cols: Int) {
    let p = UncheckedSendable((a, b, out))
    parallelFor(rows, grain: Swift.max(1, 8192 / Swift.max(cols, 1))) { range in
        let (a, b, out) = p.value
        for r in range {
            out[r] = dotContiguous(a + r * cols, b + r * cols, cols)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
