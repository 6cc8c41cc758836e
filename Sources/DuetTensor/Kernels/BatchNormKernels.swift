// Batch-norm kernels on [B, C, S] buffers (S: the spatial positions of one channel): per-channel
// statistics, the normalisation and the backward pass, parallel over channels.

/// The sizes of a [batch, channels, plane] buffer, walked one channel at a time.
struct ChannelPlanes: Sendable {
    let batch, channels, plane: Int

    /// Values per channel.
    var perChannel: Int { batch * plane }
    /// Channels per parallel chunk: about 16K elements of work each.
    var grain: Int { Swift.max(1, 16384 / Swift.max(perChannel, 1)) }

    /// The offset of (sample b, channel c)'s plane.
    @inline(__always)
    func offset(_ b: Int, _ c: Int) -> Int { (b * channels + c) * plane }
}

/// Σ (x − m)² over n contiguous floats, 16 lanes of partial sums.
@inline(__always)
private func sumSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, from m: Float) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    let mv = SIMD16<Float>(repeating: m), raw = UnsafeRawPointer(p)
    var i = 0
    while i + 16 <= n {
        let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - mv
        acc += d * d
        i += 16
    }
    var s = acc.sum()
    while i < n { s += (p[i] - m) * (p[i] - m); i += 1 }
    return s
}

/// (Σ g, Σ g·(x − m)) over n contiguous floats, 16 lanes of partial sums.
@inline(__always)
private func sumGradientAndProduct(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
                                   centredOn m: Float) -> (Float, Float) {
    var accG = SIMD16<Float>(repeating: 0), accGX = SIMD16<Float>(repeating: 0)
    let mv = SIMD16<Float>(repeating: m), rg = UnsafeRawPointer(g), rx = UnsafeRawPointer(x)
    var i = 0
    while i + 16 <= n {
        let gv = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        let xv = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        accG += gv
        accGX += gv * (xv - mv)
        i += 16
    }
    var sg = accG.sum(), sgx = accGX.sum()
    while i < n { sg += g[i]; sgx += g[i] * (x[i] - m); i += 1 }
    return (sg, sgx)
}

/// mean[c] and the biased variance[c] over the batch and the plane (two passes, so the
/// variance does not lose digits to a large mean; planes summed in Double).
func batchNormStatistics(_ x: UnsafePointer<Float>, _ s: ChannelPlanes,
                         mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((x, mean, variance))
    parallelFor(s.channels, grain: s.grain) { range in
        let (x, mean, variance) = p.value
        for c in range {
            var total = 0.0
            for b in 0..<s.batch { total += Double(sumContiguous(x + s.offset(b, c), s.plane)) }
            let m = Float(total / Double(s.perChannel))
            var squares = 0.0
            for b in 0..<s.batch { squares += Double(sumSquaredDeviations(x + s.offset(b, c), s.plane, from: m)) }
            mean[c] = m
            variance[c] = Float(squares / Double(s.perChannel))
        }
    }
}

/// y = (x − mean[c]) · scale[c] + shift[c].
func batchNormApply(_ x: UnsafePointer<Float>, _ s: ChannelPlanes, mean: UnsafePointer<Float>,
                    scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((x, mean, scale, shift, y))
    parallelFor(s.channels, grain: s.grain) { range in
        let (x, mean, scale, shift, y) = p.value
        for c in range {
            let m = mean[c], k = scale[c], t = shift[c]
            for b in 0..<s.batch {
                let src = x + s.offset(b, c), dst = y + s.offset(b, c)
                for i in 0..<s.plane { dst[i] = (src[i] - m) * k + t }
            }
        }
    }
}

/// The backward pass with x̂ = (x − mean)·rstd and scale = weight·rstd:
/// gWeight[c] = Σ g·x̂, gBias[c] = Σ g, and gx = scale·g, or, when the mean and variance were
/// the batch's own, gx = scale·(g − Σg/N − x̂·Σg·x̂/N) (the gradient through the statistics).
func batchNormBackward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ s: ChannelPlanes,
                       mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                       throughStatistics: Bool, gx: UnsafeMutablePointer<Float>?,
                       gWeight: UnsafeMutablePointer<Float>?, gBias: UnsafeMutablePointer<Float>?) {
    let p = UncheckedSendable((gy, x, mean, rstd, scale, gx, gWeight, gBias))
    parallelFor(s.channels, grain: s.grain) { range in
        let (gy, x, mean, rstd, scale, gx, gWeight, gBias) = p.value
        for c in range {
            let m = mean[c], r = rstd[c]
            var sumG = 0.0, sumGX = 0.0
            for b in 0..<s.batch {
                let (sg, sgx) = sumGradientAndProduct(gy + s.offset(b, c), x + s.offset(b, c), s.plane, centredOn: m)
                sumG += Double(sg)
                sumGX += Double(sgx)
            }
            let sumGXHat = Float(sumGX) * r
            gWeight?[c] = sumGXHat
            gBias?[c] = Float(sumG)
            guard let gx else { continue }
            let n = Float(s.perChannel), k = scale[c]
            // In eval mode the statistics are constants: both correction terms vanish.
            let meanG = throughStatistics ? Float(sumG) / n : 0
            let slope = throughStatistics ? sumGXHat / n * r : 0
            for b in 0..<s.batch {
                let g = gy + s.offset(b, c), src = x + s.offset(b, c), dst = gx + s.offset(b, c)
                for i in 0..<s.plane { dst[i] = k * (g[i] - meanG - (src[i] - m) * slope) }
            }
        }
    }
}
