// Convolution kernels on raw pointers: im2col (a chunk of samples' windows laid out as the
// columns of a matrix that sgemm multiplies by the weight), its adjoint col2im, and the bias passes.
import CBLAS

/// Where column-matrix row `row` = (channel, kd, kh, kw) reads its input. Worked out once per
/// row (it takes a dozen integer divisions) and shared by every sample of a chunk: a ResNet
/// trunk's rows are only a few columns long per sample.
private struct WindowRow {
    let kd, kh, kw: Int
    let channelBase: Int
    let validD, validH, validW: Range<Int>

    @inline(__always)
    init(_ w: SlidingWindow, row: Int) {
        let kernel = w.kernelCount
        let c = row / kernel, k = row % kernel
        kd = k / (w.kH * w.kW)
        kh = (k / w.kW) % w.kH
        kw = k % w.kW
        channelBase = c * w.inputCount
        validD = SlidingWindow.validOutputs(offset: kd, input: w.inD, stride: w.sD, pad: w.pD, output: w.outD)
        validH = SlidingWindow.validOutputs(offset: kh, input: w.inH, stride: w.sH, pad: w.pH, output: w.outH)
        validW = SlidingWindow.validOutputs(offset: kw, input: w.inW, stride: w.sW, pad: w.pW, output: w.outW)
    }

    /// Visits every output line (a run of `outW` columns) of one sample:
    /// `body(lineOffset, inputOffset, valid)` where input element `inputOffset + ow·sW` (from the
    /// sample's start) feeds column `lineOffset + ow` (from the sample's first column) for `ow` in
    /// `valid`, or `valid` is empty when the whole line falls in the padding. Calls are per line,
    /// never per element.
    @inline(__always)
    func forEachLine(_ w: SlidingWindow, _ body: (Int, Int, Range<Int>) -> Void) {
        for od in 0..<w.outD {
            let id = od * w.sD - w.pD + kd
            for oh in 0..<w.outH {
                let ih = oh * w.sH - w.pH + kh
                let inside = validD.contains(od) && validH.contains(oh)
                body((od * w.outH + oh) * w.outW, channelBase + (id * w.inH + ih) * w.inW + kw - w.pW,
                     inside ? validW : 0..<0)
            }
        }
    }

    /// Writes the source of each of one sample's `outputCount` columns, as an offset from the
    /// sample's start, or −1 in the padding: the row's geometry flattened once for all samples.
    @inline(__always)
    func writeSources(_ w: SlidingWindow, into table: UnsafeMutablePointer<Int32>) {
        let outW = w.outW, sW = w.sW
        forEachLine(w) { line, from, valid in
            for ow in 0..<outW { table[line + ow] = valid.contains(ow) ? Int32(from + ow * sW) : -1 }
        }
    }
}

/// cols[(c, kd, kh, kw), (s, od, oh, ow)] = x[s, c, od·sD − pD + kd, …], 0 in the padding.
/// `x` holds `samples` consecutive samples [channels, inD, inH, inW]; `cols` is the column
/// matrix [channels·kernelCount, samples·outputCount], each sample a block of columns, so that
/// one sgemm covers them all. Parallel over rows. A lone sample is copied line by line; several
/// share a table of sources per row, as their lines are often only a few columns long.
func im2col(_ x: UnsafePointer<Float>, samples: Int, channels: Int, _ w: SlidingWindow,
            _ cols: UnsafeMutablePointer<Float>) {
    let rows = channels * w.kernelCount, outW = w.outW, sW = w.sW
    let positions = w.outputCount, width = samples * positions, sampleSize = channels * w.inputCount
    let grain = Swift.max(1, 16384 / Swift.max(width, 1))
    if samples == 1 {
        let p = UncheckedSendable((x, cols))
        parallelFor(rows, grain: grain) { range in
            let (x, cols) = p.value
            for row in range {
                let block = cols + row * positions
                WindowRow(w, row: row).forEachLine(w) { line, from, valid in
                    let dst = block + line
                    for ow in 0..<valid.lowerBound { dst[ow] = 0 }
                    if sW == 1 {
                        for ow in valid { dst[ow] = x[from + ow] }
                    } else {
                        for ow in valid { dst[ow] = x[from + ow * sW] }
                    }
                    for ow in valid.upperBound..<outW { dst[ow] = 0 }
                }
            }
        }
        return
    }
    var tables = [Int32](repeating: 0, count: parallelChunkCount(rows, grain: grain) * positions)
    tables.withUnsafeMutableBufferPointer { tables in
        let p = UncheckedSendable((x, cols, tables.baseAddress!))
        parallelChunks(rows, grain: grain) { chunk, range in
            let (x, cols, tables) = p.value
            let table = tables + chunk * positions
            for row in range {
                WindowRow(w, row: row).writeSources(w, into: table)
                for s in 0..<samples {
                    let src = x + s * sampleSize, dst = cols + row * width + s * positions
                    for i in 0..<positions {
                        let k = Int(table[i])
                        dst[i] = k >= 0 ? src[k] : 0
                    }
                }
            }
        }
    }
}

/// The adjoint of im2col: gx[s, c, …] += cols[(c, kd, kh, kw), (s, …)] over every window that
/// read it. Parallel over channels, so each thread writes its own channels' planes of `gx`; within
/// a row no two columns read the same input, and a channel's rows run in order on one thread.
func col2im(_ cols: UnsafePointer<Float>, samples: Int, channels: Int, _ w: SlidingWindow,
            _ gx: UnsafeMutablePointer<Float>) {
    let kernel = w.kernelCount
    let positions = w.outputCount, width = samples * positions, sampleSize = channels * w.inputCount
    let grain = Swift.max(1, 16384 / Swift.max(kernel * width, 1))
    var tables = [Int32](repeating: 0, count: parallelChunkCount(channels, grain: grain) * positions)
    tables.withUnsafeMutableBufferPointer { tables in
        let p = UncheckedSendable((cols, gx, tables.baseAddress!))
        parallelChunks(channels, grain: grain) { chunk, range in
            let (cols, gx, tables) = p.value
            let table = tables + chunk * positions
            for row in (range.lowerBound * kernel)..<(range.upperBound * kernel) {
                WindowRow(w, row: row).writeSources(w, into: table)
                for s in 0..<samples {
                    let src = cols + row * width + s * positions, dst = gx + s * sampleSize
                    for i in 0..<positions {
                        let k = Int(table[i])
                        if k >= 0 { dst[k] += src[i] }
                    }
                }
            }
        }
    }
}

/// Copies `samples` blocks between a product's layout, matrix[r, (s, i)] ([rows, samples·plane],
/// each sample a block of columns), and a tensor's, tensor[s, r, i] ([samples, rows, plane]):
/// from the matrix into the tensor when `intoTensor`, else from the tensor into the matrix.
func moveSampleBlocks(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                      samples: Int, rows: Int, plane: Int, intoTensor: Bool) {
    let p = UncheckedSendable((src, dst))
    parallelFor(samples * rows, grain: Swift.max(1, 16384 / Swift.max(plane, 1))) { range in
        let (src, dst) = p.value
        for job in range {
            let s = job / rows, r = job % rows
            let matrix = (r * samples + s) * plane, tensor = job * plane
            if intoTensor {
                (dst + tensor).update(from: src + matrix, count: plane)
            } else {
                (dst + matrix).update(from: src + tensor, count: plane)
            }
        }
    }
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
