// Convolutions in 1-D, 2-D and 3-D (PyTorch layouts, stride, padding, groups, optional bias),
// all through one N-d implementation: im2col per sample, then one sgemm per group.

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
        let plan = ConvolutionPlan(window: window, batch: batch, channels: channels,
                                   outChannels: outChannels, groups: groups)
        let out = Tensor(uninitializedShape: [batch, outChannels] + window.outputShape)
        plan.forward(x.pointer, weight.pointer, bias?.pointer, out.pointer)
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return out.recorded("convolution", inputs) { g in
            let gx = x.requiresGrad ? Tensor.zeros(x.shape) : nil
            let gw = weight.requiresGrad ? Tensor.zeros(weight.shape) : nil
            plan.backward(g.pointer, x.pointer, weight.pointer, gx?.pointer, gw?.pointer)
            guard let bias else { return [gx, gw] }
            guard bias.requiresGrad else { return [gx, gw, nil] }
            let gb = Tensor(uninitializedShape: bias.shape)
            sumPlanesPerChannel(g.pointer, batch: batch, channels: outChannels, plane: window.outputCount, into: gb.pointer)
            return [gx, gw, gb]
        }
    }
}

/// The sizes of one convolution call and its forward and backward passes on raw pointers.
/// Per sample: im2col into a [C·k, L] column matrix, then per group
/// y_g = W_g · cols_g (W_g: [out/groups, C/groups·k], L the output positions).
private struct ConvolutionPlan {
    let window: SlidingWindow
    let batch, channels, outChannels, groups: Int

    var kernelRows: Int { channels / groups * window.kernelCount }  // rows of cols per group
    var groupOut: Int { outChannels / groups }
    var positions: Int { window.outputCount }

    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 _ y: UnsafeMutablePointer<Float>) {
        if let bias { fillPlanes(y, with: bias, batch: batch, channels: outChannels, plane: positions) }
        let cols = Tensor(uninitializedShape: [channels * window.kernelCount * positions])
        for b in 0..<batch {
            im2col(x + b * channels * window.inputCount, channels: channels, window, cols.pointer)
            let yb = y + b * outChannels * positions
            for g in 0..<groups {
                convolutionGEMM(transposeA: false, transposeB: false, m: groupOut, n: positions, k: kernelRows,
                                w + g * groupOut * kernelRows, lda: kernelRows,
                                cols.pointer + g * kernelRows * positions, ldb: positions,
                                beta: bias == nil ? 0 : 1, yb + g * groupOut * positions, ldc: positions)
            }
        }
    }

    /// gw += gY·colsᵀ and gx = col2im(Wᵀ·gY), sample by sample; one column buffer serves both
    /// (the weight gradient reads it before the input gradient overwrites it).
    func backward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                  _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?) {
        guard gx != nil || gw != nil else { return }
        let cols = Tensor(uninitializedShape: [channels * window.kernelCount * positions])
        for b in 0..<batch {
            let gyb = gy + b * outChannels * positions
            if let gw {
                im2col(x + b * channels * window.inputCount, channels: channels, window, cols.pointer)
                for g in 0..<groups {
                    convolutionGEMM(transposeA: false, transposeB: true, m: groupOut, n: kernelRows, k: positions,
                                    gyb + g * groupOut * positions, lda: positions,
                                    cols.pointer + g * kernelRows * positions, ldb: positions,
                                    beta: 1, gw + g * groupOut * kernelRows, ldc: kernelRows)
                }
            }
            if let gx {
                for g in 0..<groups {
                    convolutionGEMM(transposeA: true, transposeB: false, m: kernelRows, n: positions, k: groupOut,
                                    w + g * groupOut * kernelRows, lda: kernelRows,
                                    gyb + g * groupOut * positions, ldb: positions,
                                    beta: 0, cols.pointer + g * kernelRows * positions, ldc: positions)
                }
                col2im(cols.pointer, channels: channels, window, gx + b * channels * window.inputCount)
            }
        }
    }
}
