// Convolutions in 1-D, 2-D and 3-D (PyTorch layouts, stride, padding, groups, optional bias),
// all through one N-d implementation: im2col over a chunk of samples, then one sgemm per group
// (3-D ones with depth stride 1 share their columns between depth taps: DepthSharedConvolution).

/// 1-D convolution. x: [B, C, W], weight: [out, C/groups, k], bias: [out].
public func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: Int = 1, padding: Int = 0, groups: Int = 1) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: [stride], padding: [padding], groups: groups)
}

/// 2-D convolution. x: [B, C, H, W], weight: [out, C/groups, kH, kW], bias: [out].
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), groups: Int = 1) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: [stride.0, stride.1], padding: [padding.0, padding.1],
                groups: groups)
}

/// 3-D convolution. x: [B, C, T, H, W], weight: [out, C/groups, kT, kH, kW], bias: [out].
public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                   stride: (Int, Int, Int) = (1, 1, 1), padding: (Int, Int, Int) = (0, 0, 0),
                   groups: Int = 1) -> Tensor {
    convolution(x, weight: weight, bias: bias, stride: [stride.0, stride.1, stride.2],
                padding: [padding.0, padding.1, padding.2], groups: groups)
}

/// An N-d convolution (N = weight.rank − 2, from 1 to 3) with one stride and padding per spatial
/// axis, dilation 1. Output: [B, out, spatial…] with PyTorch's output size.
public func convolution(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                        stride: [Int], padding: [Int], groups: Int = 1) -> Tensor {
    profiled(.gemm) {
        let n = weight.rank - 2
        precondition(x.rank == n + 2, "convolution: input \(x.shape) does not match weight \(weight.shape)")
        let batch = x.shape[0], channels = x.shape[1], outChannels = weight.shape[0]
        precondition(groups > 0 && channels == weight.shape[1] * groups && outChannels % groups == 0,
                     "convolution: \(channels) input channels, weight \(weight.shape) and \(groups) groups do not agree")
        if let bias { precondition(bias.shape == [outChannels], "convolution: bias \(bias.shape) for \(outChannels) outputs") }
        let window = SlidingWindow(spatial: Array(x.shape[2...]), kernel: Array(weight.shape[2...]),
                                   stride: stride, padding: padding)
        let shared = DepthSharedConvolutionPlan(window: window, batch: batch, channels: channels,
                                                outChannels: outChannels, groups: groups)
        let plan = ConvolutionPlan(window: window, batch: batch, channels: channels,
                                   outChannels: outChannels, groups: groups)
        let out = Tensor(uninitializedShape: [batch, outChannels] + window.outputShape)
        if let shared {
            shared.forward(x.pointer, weight.pointer, bias?.pointer, out.pointer)
        } else {
            plan.forward(x.pointer, weight.pointer, bias?.pointer, out.pointer)
        }
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return out.recorded("convolution", inputs) { g in
            let gx = x.requiresGrad ? Tensor.zeros(x.shape) : nil
            let gw = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
            if let shared {
                shared.backward(g.pointer, x.pointer, weight.pointer, gx?.pointer, gw?.pointer)
            } else {
                plan.backward(g.pointer, x.pointer, weight.pointer, gx?.pointer, gw?.pointer)
            }
            guard let bias else { return [gx, gw] }
            guard bias.requiresGrad else { return [gx, gw, nil] }
            let gb = Tensor(uninitializedShape: bias.shape)
            sumPlanesPerChannel(g.pointer, batch: batch, channels: outChannels, plane: window.outputCount, into: gb.pointer)
            return [gx, gw, gb]
        }
    }
}

/// The sizes of one convolution call and its forward and backward passes on raw pointers.
/// Samples go in chunks: im2col of a chunk into one [C·k, n·L] column matrix (L the output
/// positions, n the chunk's samples), then per group y_g = W_g · cols_g (W_g: [out/groups,
/// C/groups·k]). A ResNet trunk run per video frame has hundreds of samples of a few positions
/// each: one sgemm per sample there would be hundreds of tiny, overhead-bound products.
private struct ConvolutionPlan {
    let window: SlidingWindow
    let batch, channels, outChannels, groups: Int

    /// Floats a chunk's column matrix may hold (8 MB): large enough for wide products, small
    /// enough to stay in the last-level cache between im2col and sgemm. A sample larger than
    /// this goes alone.
    static let columnBudget = 1 << 21

    var kernelRows: Int { channels / groups * window.kernelCount }  // rows of cols per group
    var groupOut: Int { outChannels / groups }
    var positions: Int { window.outputCount }
    var columnRows: Int { channels * window.kernelCount }

    /// The samples of each chunk: as few chunks as the budget allows, of near-equal size.
    var chunks: [Range<Int>] {
        let fit = Swift.max(1, Self.columnBudget / Swift.max(columnRows * positions, 1))
        let count = (batch + fit - 1) / fit
        return (0..<count).map { i in (batch * i / count)..<(batch * (i + 1) / count) }
    }

    var largestChunk: Int { chunks.map(\.count).max() ?? 0 }

    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 _ y: UnsafeMutablePointer<Float>) {
        let cols = Tensor(uninitializedShape: [columnRows * largestChunk * positions])
        // A chunk of one sample is already in y's layout; larger chunks go through `product`.
        let product = largestChunk > 1 ? Tensor(uninitializedShape: [outChannels * largestChunk * positions]) : nil
        for chunk in chunks {
            let n = chunk.count, width = n * positions
            im2col(x + chunk.lowerBound * channels * window.inputCount, samples: n, channels: channels, window, cols.pointer)
            let yChunk = y + chunk.lowerBound * outChannels * positions
            let staged = n > 1 ? product?.pointer : nil
            let out = staged ?? yChunk
            if let bias { fillPlanes(out, with: bias, batch: 1, channels: outChannels, plane: width) }
            for g in 0..<groups {
                stridedSgemm(transposeA: false, transposeB: false, m: groupOut, n: width, k: kernelRows,
                             w + g * groupOut * kernelRows, lda: kernelRows,
                             cols.pointer + g * kernelRows * width, ldb: width,
                             beta: bias == nil ? 0 : 1, out + g * groupOut * width, ldc: width)
            }
            if let staged { moveSampleBlocks(staged, yChunk, samples: n, rows: outChannels, plane: positions, intoTensor: true) }
        }
    }

    /// gw += gY·colsᵀ and gx = col2im(Wᵀ·gY), chunk by chunk; one column buffer serves both
    /// (the weight gradient reads it before the input gradient overwrites it).
    func backward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                  _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?) {
        guard gx != nil || gw != nil else { return }
        let cols = Tensor(uninitializedShape: [columnRows * largestChunk * positions])
        let gyMatrix = largestChunk > 1 ? Tensor(uninitializedShape: [outChannels * largestChunk * positions]) : nil
        for chunk in chunks {
            let n = chunk.count, width = n * positions
            let gyChunk = gy + chunk.lowerBound * outChannels * positions
            let staged = n > 1 ? gyMatrix?.pointer : nil
            if let staged {
                moveSampleBlocks(gyChunk, staged, samples: n, rows: outChannels, plane: positions, intoTensor: false)
            }
            let gyb = staged.map { UnsafePointer($0) } ?? gyChunk
            if let gw {
                im2col(x + chunk.lowerBound * channels * window.inputCount, samples: n, channels: channels, window, cols.pointer)
                for g in 0..<groups {
                    stridedSgemm(transposeA: false, transposeB: true, m: groupOut, n: kernelRows, k: width,
                                 gyb + g * groupOut * width, lda: width,
                                 cols.pointer + g * kernelRows * width, ldb: width,
                                 beta: 1, gw + g * groupOut * kernelRows, ldc: kernelRows)
                }
            }
            if let gx {
                for g in 0..<groups {
                    stridedSgemm(transposeA: true, transposeB: false, m: kernelRows, n: width, k: groupOut,
                                 w + g * groupOut * kernelRows, lda: kernelRows,
                                 gyb + g * groupOut * width, ldb: width,
                                 beta: 0, cols.pointer + g * kernelRows * width, ldc: width)
                }
                col2im(cols.pointer, samples: n, channels: channels, window, gx + chunk.lowerBound * channels * window.inputCount)
            }
        }
    }
}
