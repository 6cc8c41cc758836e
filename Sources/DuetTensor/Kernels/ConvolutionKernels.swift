// Convolution kernels on raw pointers: im2col (one sample's windows laid out as the columns of a
// matrix that sgemm multiplies by the weight), its adjoint col2im, and the bias passes.
import CBLAS

/// Visits every output line (a run of `outW` columns) of column-matrix row `row` = (channel,
/// kd, kh, kw): `body(colsOffset, inputOffset, valid)` where input element
/// `inputOffset + ow·sW` feeds column `colsOffset + ow` for `ow` in `valid`, or `valid` is empty
/// when the whole line falls in the padding. Calls are per line, never per element.
@inline(__always)
private func forEachWindowLine(_ w: SlidingWindow, row: Int, _ body: (Int, Int, Range<Int>) -> Void) {
    let kernel = w.kernelCount
    let c = row / kernel, k = row % kernel
    let kd = k / (w.kH * w.kW), kh = (k / w.kW) % w.kH, kw = k % w.kW
    let validD = SlidingWindow.validOutputs(offset: kd, input: w.inD, stride: w.sD, pad: w.pD, output: w.outD)
    let validH = SlidingWindow.validOutputs(offset: kh, input: w.inH, stride: w.sH, pad: w.pH, output: w.outH)
    let validW = SlidingWindow.validOutputs(offset: kw, input: w.inW, stride: w.sW, pad: w.pW, output: w.outW)
    let rowBase = row * w.outputCount, channelBase = c * w.inputCount
    for od in 0..<w.outD {
        let id = od * w.sD - w.pD + kd
        for oh in 0..<w.outH {
            let ih = oh * w.sH - w.pH + kh
            let line = rowBase + (od * w.outH + oh) * w.outW
            let inside = validD.contains(od) && validH.contains(oh)
            body(line, channelBase + (id * w.inH + ih) * w.inW + kw - w.pW, inside ? validW : 0..<0)
        }
    }
}

/// cols[(c, kd, kh, kw), (od, oh, ow)] = x[c, od·sD − pD + kd, …], 0 in the padding.
/// `x` is one sample [channels, inD, inH, inW]; `cols` holds channels·kernelCount·outputCount.
func im2col(_ x: UnsafePointer<Float>, channels: Int, _ w: SlidingWindow, _ cols: UnsafeMutablePointer<Float>) {
    let rows = channels * w.kernelCount, outW = w.outW, sW = w.sW
    let p = UncheckedSendable((x, cols))
    parallelFor(rows, grain: Swift.max(1, 16384 / Swift.max(w.outputCount, 1))) { range in
        let (x, cols) = p.value
        for row in range {
            forEachWindowLine(w, row: row) { line, src, valid in
                let dst = cols + line
                for ow in 0..<valid.lowerBound { dst[ow] = 0 }
                if sW == 1 {
                    for ow in valid { dst[ow] = x[src + ow] }
                } else {
                    for ow in valid { dst[ow] = x[src + ow * sW] }
                }
                for ow in valid.upperBound..<outW { dst[ow] = 0 }
            }
        }
    }
}

/// The adjoint of im2col: gx[c, …] += cols[(c, kd, kh, kw), …] over every window that read it.
/// Parallel over channels, so each thread writes its own channels of `gx`.
func col2im(_ cols: UnsafePointer<Float>, channels: Int, _ w: SlidingWindow, _ gx: UnsafeMutablePointer<Float>) {
    let kernel = w.kernelCount, sW = w.sW
    let p = UncheckedSendable((cols, gx))
    parallelFor(channels, grain: Swift.max(1, 16384 / Swift.max(kernel * w.outputCount, 1))) { range in
        let (cols, gx) = p.value
        for row in (range.lowerBound * kernel)..<(range.upperBound * kernel) {
            forEachWindowLine(w, row: row) { line, dst, valid in
                let src = cols + line
                for ow in valid { gx[dst + ow * sW] += src[ow] }
            }
        }
    }
}

/// C = op(A)·op(B) + beta·C for row-major matrices (C is m×n, the inner dimension k).
/// Called only outside parallel loops: OpenBLAS runs its own threads.
func convolutionGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// y[b, c, :] = bias[c] for every plane of a [batch, channels, plane] buffer.
func fillPlanes(_ y: UnsafeMutablePointer<Float>, with bias: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int) {
    let p = UncheckedSendable((y, bias))
    parallelFor(batch * channels, grain: Swift.max(1, 16384 / Swift.max(plane, 1))) { range in
        let (y, bias) = p.value
        for bc in range { (y + bc * plane).update(repeating: bias[bc % channels], count: plane) }
    }
}

/// out[c] = Σ over b and the plane of g[b, c, :] (a bias gradient), summed in Double per channel.
func sumPlanesPerChannel(_ g: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, into out: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((g, out))
    parallelFor(channels, grain: Swift.max(1, 16384 / Swift.max(batch * plane, 1))) { range in
        let (g, out) = p.value
        for c in range {
            var total = 0.0
            for b in 0..<batch { total += Double(sumContiguous(g + (b * channels + c) * plane, plane)) }
            out[c] = Float(total)
        }
    }
}
