// Kernels of the regression losses (masked MSE, smooth L1, cosine) and of MAE's per-patch target
// normalisation: rows over the last axis, SIMD16 accumulators, partial sums in fixed blocks.

/// Σ of `part(range)` over `0..<count`, cut into fixed blocks of `block` items that run in
/// parallel. The blocks do not depend on the thread count, so neither does the rounding: a loss
/// is bit-identical on a laptop and on a 64-core server.
func blockwiseSum(_ count: Int, block: Int, _ part: (Range<Int>) -> Double) -> Double {
    let block = max(block, 1)
    let blocks = (count + block - 1) / block
    guard blocks > 0 else { return 0 }
    var partials = [Double](repeating: 0, count: blocks)
    partials.withUnsafeMutableBufferPointer { buffer in
        let out = UncheckedSendable(buffer.baseAddress!)
        parallelFor(blocks) { r in
            for k in r { out.value[k] = part(k * block ..< min(count, (k + 1) * block)) }
        }
    }
    return partials.reduce(0, +)
}

/// How many rows of `width` floats make a block of roughly 4096 floats.
@inline(__always)
func rowsPerBlock(_ width: Int) -> Int { max(1, 4096 / max(width, 1)) }

/// Σ (a − b)² over n contiguous floats, 16 lanes at a time.
@inline(__always)
func sumSquaredDifferences(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var i = 0
    while i + 16 <= n {
        let d = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        acc += d * d
        i += 16
    }
    var s = acc.sum()
    while i < n { let d = a[i] - b[i]; s += d * d; i += 1 }
    return s
}

/// (x·y, x·x, y·y) over n contiguous floats in one pass.
@inline(__always)
func dotAndSquares(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> (Float, Float, Float) {
    var xy = SIMD16<Float>(repeating: 0), xx = xy, yy = xy
    let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
    var i = 0
    while i + 16 <= n {
        let a = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        let b = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        xy += a * b
        xx += a * a
        yy += b * b
        i += 16
    }
    var sxy = xy.sum(), sxx = xx.sum(), syy = yy.sum()
    while i < n { sxy += x[i] * y[i]; sxx += x[i] * x[i]; syy += y[i] * y[i]; i += 1 }
    return (sxy, sxx, syy)
}

// MARK: - Masked MSE

/// Σ_r weight_r · mean_d (p − t)² over `rows` rows of `width`; weight 1 where `mask` is nil.
func maskedMSEForward(_ p: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?,
                      rows: Int, width: Int) -> Double {
    let s = UncheckedSendable((p, t, mask))
    let invWidth = 1 / Float(width)
    return blockwiseSum(rows, block: rowsPerBlock(width)) { r in
        let (p, t, mask) = s.value
        var total = 0.0
        for row in r {
            let w = mask?[row] ?? 1
            if w == 0 { continue }
            total += Double(w * invWidth * sumSquaredDifferences(p + row * width, t + row * width, width))
        }
        return total
    }
}

/// gp = scale · weight_r · (p − t) per row.
func maskedMSEBackward(_ p: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?,
                       _ gp: UnsafeMutablePointer<Float>, rows: Int, width: Int, scale: Float) {
    let s = UncheckedSendable((p, t, mask, gp))
    parallelFor(rows, grain: rowsPerBlock(width)) { r in
        let (p, t, mask, gp) = s.value
        for row in r {
            let w = scale * (mask?[row] ?? 1)
            let base = row * width
            for d in base ..< base + width { gp[d] = w * (p[d] - t[d]) }
        }
    }
}

/// Each row of `width` minus its mean, over √(unbiased variance + eps).
func normalizeRowsKernel(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int, eps: Float) {
    let s = UncheckedSendable((x, y))
    // torch.var of one element divides by zero; one degree of freedom keeps the row finite.
    let invDof = 1 / Float(max(width - 1, 1))
    parallelFor(rows, grain: rowsPerBlock(width)) { r in
        let (x, y) = s.value
        for row in r {
            let src = x + row * width, dst = y + row * width
            let mean = sumContiguous(src, width) / Float(width)
            var ss: Float = 0
            for d in 0..<width { let c = src[d] - mean; ss += c * c }
            let rstd = 1 / (ss * invDof + eps).squareRoot()
            for d in 0..<width { dst[d] = (src[d] - mean) * rstd }
        }
    }
}

// MARK: - Smooth L1

/// Σ of the smooth-L1 terms: ½d²/β where |d| < β, |d| − ½β elsewhere (plain L1 when β = 0).
func smoothL1Forward(_ p: UnsafePointer<Float>, _ t: UnsafePointer<Float>, count: Int, beta: Float) -> Double {
    let s = UncheckedSendable((p, t))
    let halfOverBeta = beta > 0 ? 0.5 / beta : 0, halfBeta = 0.5 * beta
    return blockwiseSum(count, block: 4096) { r in
        let (p, t) = s.value
        var acc: Float = 0
        for i in r {
            let d = p[i] - t[i], a = d < 0 ? -d : d
            acc += a < beta ? halfOverBeta * d * d : a - halfBeta
        }
        return Double(acc)
    }
}

/// gp = scale · clamp(d/β, −1, 1), the sign of d when β = 0 (0 at d = 0, as PyTorch).
func smoothL1Backward(_ p: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ gp: UnsafeMutablePointer<Float>,
                      count: Int, beta: Float, scale: Float) {
    let s = UncheckedSendable((p, t, gp))
    let slope = beta > 0 ? scale / beta : 0
    parallelFor(count, grain: 8192) { r in
        let (p, t, gp) = s.value
        for i in r {
            let d = p[i] - t[i]
            gp[i] = d > beta ? scale : (d < -beta ? -scale : slope * d)
        }
    }
}

// MARK: - Cosine

/// What backward keeps of each row of the cosine loss, 4 floats a row: cos; 1 / (max(‖x‖, eps) ·
/// max(‖y‖, eps)); 1/‖x‖² and 1/‖y‖², or 0 where that norm was clamped to eps (a constant then).
let cosineStatisticsWidth = 4

/// Σ_r cos(x_r, y_r) with each norm clamped below at `eps`, as torch.nn.functional.cosine_similarity.
func cosineForward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ stats: UnsafeMutablePointer<Float>,
                   rows: Int, width: Int, eps: Float) -> Double {
    let s = UncheckedSendable((x, y, stats))
    return blockwiseSum(rows, block: rowsPerBlock(width)) { r in
        let (x, y, stats) = s.value
        var total = 0.0
        for row in r {
            let (xy, xx, yy) = dotAndSquares(x + row * width, y + row * width, width)
            let nx = xx.squareRoot(), ny = yy.squareRoot()
            let inv = 1 / (max(nx, eps) * max(ny, eps))
            let c = xy * inv
            let st = stats + row * cosineStatisticsWidth
            st[0] = c
            st[1] = inv
            st[2] = nx > eps ? 1 / xx : 0
            st[3] = ny > eps ? 1 / yy : 0
            total += Double(c)
        }
        return total
    }
}

/// gx = scale · ∂cos/∂x = scale · (y / (‖x‖‖y‖) − cos · x / ‖x‖²) per row. Called with the
/// operands swapped (and `swapped` set) it gives gy.
func cosineBackward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ stats: UnsafePointer<Float>,
                    _ gx: UnsafeMutablePointer<Float>, rows: Int, width: Int, scale: Float, swapped: Bool) {
    let s = UncheckedSendable((x, y, stats, gx))
    parallelFor(rows, grain: rowsPerBlock(width)) { r in
        let (x, y, stats, gx) = s.value
        for row in r {
            let st = stats + row * cosineStatisticsWidth
            let a = scale * st[1]
            let b = scale * st[0] * st[swapped ? 3 : 2]
            let base = row * width
            for d in base ..< base + width { gx[d] = a * y[d] - b * x[d] }
        }
    }
}
