// Layer norm over the last axis: one pass per row for statistics (saved for backward), and a
// backward that recomputes x̂ from them instead of storing it.

/// y = (x − mean)·rstd·w + b per row; writes mean and rstd per row.
func layerNormForward(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                      weight: UnsafeMutablePointer<Float>?, bias: UnsafeMutablePointer<Float>?,
                      mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                      rows: Int, cols: Int, eps: Float) {
    let p = UncheckedSendable((x, y, weight, bias, mean, rstd))
    parallelFor(rows, grain: Swift.max(1, 4096 / Swift.max(cols, 1))) { range in
        let (x, y, w, b, meanOut, rstdOut) = p.value
        for r in range {
            let xr = x + r * cols, yr = y + r * cols
            let m = sumContiguous(xr, cols) / Float(cols)
            let v = sumSquaredDeviations(xr, cols, mean: m)
            let rs = 1 / (v / Float(cols) + eps).squareRoot()
            meanOut[r] = m
            rstdOut[r] = rs
            if let w, let b {
                for c in 0..<cols { yr[c] = (xr[c] - m) * rs * w[c] + b[c] }
            } else if let w {
                for c in 0..<cols { yr[c] = (xr[c] - m) * rs * w[c] }
            } else {
                for c in 0..<cols { yr[c] = (xr[c] - m) * rs }
            }
        }
    }
}

/// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w; dw = Σ g·x̂ and db = Σ g over rows.
func layerNormBackward(_ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                       weight: UnsafeMutablePointer<Float>?, mean: UnsafeMutablePointer<Float>,
                       rstd: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                       dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?,
                       rows: Int, cols: Int) {
    let p = UncheckedSendable((x, g, weight, mean, rstd, dx))
    if dx != nil {
        parallelFor(rows, grain: Swift.max(1, 4096 / Swift.max(cols, 1))) { range in
            let (x, g, w, mean, rstd, dxOpt) = p.value
            guard let dx = dxOpt else { return }
            for r in range {
                let xr = x + r * cols, gr = g + r * cols, dxr = dx + r * cols
                let m = mean[r], rs = rstd[r]
                // ĝ = g·w goes into dx's row first: the two row sums then run as SIMD16
                // reductions, and Σ ĝ·x̂ = rs·(Σ ĝ·x − m·Σ ĝ).
                if let w {
                    for c in 0..<cols { dxr[c] = gr[c] * w[c] }
                } else {
                    dxr.update(from: gr, count: cols)
                }
                let sumG = sumContiguous(dxr, cols)
                let sumGX = rs * (dotContiguous(dxr, xr, cols) - m * sumG)
                let meanG = sumG / Float(cols), meanGX = sumGX / Float(cols)
                for c in 0..<cols {
                    dxr[c] = rs * (dxr[c] - meanG - (xr[c] - m) * rs * meanGX)
                }
            }
        }
    }
    guard dw != nil || db != nil else { return }
    // Columns split over threads; each thread walks every row's slice of its columns.
    let q = UncheckedSendable((x, g, mean, rstd, dw, db))
    parallelFor(cols, grain: 64) { range in
        let (x, g, mean, rstd, dw, db) = q.value
        for c in range { dw?[c] = 0; db?[c] = 0 }
        for r in 0..<rows {
            let xr = x + r * cols, gr = g + r * cols
            let m = mean[r], rs = rstd[r]
            if let dw { for c in range { dw[c] += gr[c] * (xr[c] - m) * rs } }
            if let db { for c in range { db[c] += gr[c] } }
        }
    }
}
