// Pooling kernels on raw pointers: max and average over sliding windows of [planes, D, H, W]
// buffers (a plane is one (sample, channel) pair), forward and backward, parallel over planes.

/// One output's window, clipped to the input (padding is never read), as runs of contiguous
/// input positions: one run per (depth, height) row of the window.
private struct WindowRuns {
    let depth, height, width: Range<Int>
    let inH, inW: Int

    /// The first position of the window (where a max-pool starts its search).
    var first: Int { (depth.lowerBound * inH + height.lowerBound) * inW + width.lowerBound }

    @inline(__always)
    func forEachRun(_ body: (Range<Int>) -> Void) {
        for d in depth {
            for h in height {
                let row = (d * inH + h) * inW
                body((row + width.lowerBound)..<(row + width.upperBound))
            }
        }
    }
}

/// Calls `body(outputIndex, window)` for every output of one plane.
@inline(__always)
private func forEachWindow(_ w: SlidingWindow, _ body: (Int, WindowRuns) -> Void) {
    var o = 0
    for od in 0..<w.outD {
        let rd = SlidingWindow.window(od, input: w.inD, kernel: w.kD, stride: w.sD, pad: w.pD)
        for oh in 0..<w.outH {
            let rh = SlidingWindow.window(oh, input: w.inH, kernel: w.kH, stride: w.sH, pad: w.pH)
            for ow in 0..<w.outW {
                let rw = SlidingWindow.window(ow, input: w.inW, kernel: w.kW, stride: w.sW, pad: w.pW)
                body(o, WindowRuns(depth: rd, height: rh, width: rw, inH: w.inH, inW: w.inW))
                o += 1
            }
        }
    }
}

/// Planes per parallel chunk: about 16K window elements of work each.
private func windowGrain(_ w: SlidingWindow) -> Int { Swift.max(1, 16384 / Swift.max(w.outputCount * w.kernelCount, 1)) }

// The kernels below call `forEachWindow` from inside their own `parallelFor` body: handing
// the per-window closure through another closure left it an outlined call per window.

/// y = the window maximum (padding counts as −∞; a NaN wins, as in PyTorch); `indices` gets the
/// flat position of each maximum inside its plane (the first one on ties).
func maxPoolForward(_ x: UnsafePointer<Float>, planes: Int, _ w: SlidingWindow,
                    _ y: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>) {
    let p = UncheckedSendable((x, y, indices))
    parallelFor(planes, grain: windowGrain(w)) { range in
        let (x, y, indices) = p.value
        for plane in range {
            let src = x + plane * w.inputCount, dst = y + plane * w.outputCount, at = indices + plane * w.outputCount
            forEachWindow(w) { o, window in
                var best = -Float.infinity, arg = window.first
                window.forEachRun { run in
                    for i in run where src[i] > best || src[i].isNaN {
                        best = src[i]
                        arg = i
                    }
                }
                dst[o] = best
                at[o] = Int32(arg)
            }
        }
    }
}

/// gx[plane, indices[o]] += gy[plane, o]; `gx` must start at zero.
func maxPoolBackward(_ gy: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>, planes: Int, _ w: SlidingWindow,
                     _ gx: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((gy, indices, gx))
    parallelFor(planes, grain: Swift.max(1, 16384 / Swift.max(w.outputCount, 1))) { range in
        let (gy, indices, gx) = p.value
        for plane in range {
            let g = gy + plane * w.outputCount, idx = indices + plane * w.outputCount
            let dst = gx + plane * w.inputCount
            for o in 0..<w.outputCount { dst[Int(idx[o])] += g[o] }
        }
    }
}

/// y = the window sum over the kernel volume (padding counts as zeros: count_include_pad).
func avgPoolForward(_ x: UnsafePointer<Float>, planes: Int, _ w: SlidingWindow, _ y: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((x, y))
    let scale = 1 / Float(w.kernelCount)
    parallelFor(planes, grain: windowGrain(w)) { range in
        let (x, y) = p.value
        for plane in range {
            let src = x + plane * w.inputCount, dst = y + plane * w.outputCount
            forEachWindow(w) { o, window in
                var s: Float = 0
                window.forEachRun { run in for i in run { s += src[i] } }
                dst[o] = s * scale
            }
        }
    }
}

/// gx += gy / kernel volume over each output's window; `gx` must start at zero.
func avgPoolBackward(_ gy: UnsafePointer<Float>, planes: Int, _ w: SlidingWindow, _ gx: UnsafeMutablePointer<Float>) {
    let p = UncheckedSendable((gy, gx))
    let scale = 1 / Float(w.kernelCount)
    parallelFor(planes, grain: windowGrain(w)) { range in
        let (gy, gx) = p.value
        for plane in range {
            let g = gy + plane * w.outputCount, dst = gx + plane * w.inputCount
            forEachWindow(w) { o, window in
                let v = g[o] * scale
                window.forEachRun { run in for i in run { dst[i] += v } }
            }
        }
    }
}
