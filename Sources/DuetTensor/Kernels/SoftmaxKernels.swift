// Row softmax kernels: max-shifted exponentials, and the backward rules of softmax and
// log-softmax, each one pass per row.

/// y = softmax(x) per row (log: y = x − logsumexp(x)). Optionally writes logsumexp per row.
func softmaxRows(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                 log: Bool, logSumExp: UnsafeMutablePointer<Float>? = nil) {
    let p = UncheckedSendable((x, y, logSumExp))
    parallelFor(rows, grain: Swift.max(1, 4096 / Swift.max(cols, 1))) { range in
        let (x, y, lse) = p.value
        for r in range {
            let xr = x + r * cols, yr = y + r * cols
            var m = maxContiguous(xr, cols)
            if m == -.infinity { m = 0 }  // a fully masked row: keep the exponentials finite
            for c in 0..<cols { yr[c] = fastExp(xr[c] - m) }
            let s = sumContiguous(yr, cols)
            let logS = logf(s)
            if log {
                for c in 0..<cols { yr[c] = xr[c] - m - logS }
            } else {
                let inv = 1 / s
                for c in 0..<cols { yr[c] *= inv }
            }
            lse?[r] = m + logS
        }
    }
}

/// softmax: dx = y ⊙ (g − Σ g⊙y); log-softmax: dx = g − exp(y)·Σ g.
func softmaxBackwardRows(_ y: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int, log: Bool) {
    let p = UncheckedSendable((y, g, dx))
    parallelFor(rows, grain: Swift.max(1, 4096 / Swift.max(cols, 1))) { range in
        let (y, g, dx) = p.value
        for r in range {
            let yr = y + r * cols, gr = g + r * cols, dr = dx + r * cols
            if log {
                let s = sumContiguous(gr, cols)
                for c in 0..<cols { dr[c] = gr[c] - fastExp(yr[c]) * s }
            } else {
                let s = dotContiguous(gr, yr, cols)
                for c in 0..<cols { dr[c] = yr[c] * (gr[c] - s) }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
