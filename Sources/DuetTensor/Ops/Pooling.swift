// Max and average pooling in 1-D, 2-D and 3-D over [B, C, spatial…] inputs, with PyTorch's
// semantics (floor output size, max pads with −∞, average counts the padding).

/// Which reduction a pooling window applies.
public enum PoolingKind: Sendable {
    case max
    /// The window mean over the full kernel volume, padding included (count_include_pad=True).
    case average
}

/// 1-D pooling of [B, C, W]; the stride defaults to the kernel.
public func pool1d(_ kind: PoolingKind, _ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    pool(kind, x, kernel: [kernel], stride: stride.map { [$0] }, padding: [padding])
}

/// 2-D pooling of [B, C, H, W]; the stride defaults to the kernel.
public func pool2d(_ kind: PoolingKind, _ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
                   padding: (Int, Int) = (0, 0)) -> Tensor {
    pool(kind, x, kernel: [kernel.0, kernel.1], stride: stride.map { [$0.0, $0.1] }, padding: [padding.0, padding.1])
}

/// 3-D pooling of [B, C, T, H, W]; the stride defaults to the kernel.
public func pool3d(_ kind: PoolingKind, _ x: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                   padding: (Int, Int, Int) = (0, 0, 0)) -> Tensor {
    pool(kind, x, kernel: [kernel.0, kernel.1, kernel.2], stride: stride.map { [$0.0, $0.1, $0.2] },
         padding: [padding.0, padding.1, padding.2])
}

/// N-d pooling (N = kernel.count, from 1 to 3) of [B, C, spatial…]. Padding may be at most half
/// the kernel on each axis (as PyTorch requires), so every window holds a real element.
public func pool(_ kind: PoolingKind, _ x: Tensor, kernel: [Int], stride: [Int]? = nil, padding: [Int]? = nil) -> Tensor {
    let padding = padding ?? kernel.map { _ in 0 }
    precondition(x.rank == kernel.count + 2, "pool: input \(x.shape) needs \(kernel.count) spatial axes after [B, C]")
    precondition(zip(kernel, padding).allSatisfy { 2 * $1 <= $0 }, "pool: padding \(padding) exceeds half the kernel \(kernel)")
    let window = SlidingWindow(spatial: Array(x.shape[2...]), kernel: kernel, stride: stride ?? kernel, padding: padding)
    let planes = x.shape[0] * x.shape[1]
    let out = Tensor(uninitializedShape: Array(x.shape[..<2]) + window.outputShape)
    switch kind {
    case .average:
        avgPoolForward(x.pointer, planes: planes, window, out.pointer)
        return out.recorded("avgPool", [x]) { g in
            let gx = Tensor.zeros(x.shape)
            avgPoolBackward(g.pointer, planes: planes, window, gx.pointer)
            return [gx]
        }
    case .max:
        // The argmax of every window, for backward: Int32 halves the memory of Int.
        var argmax = [Int32](repeating: 0, count: out.count)
        argmax.withUnsafeMutableBufferPointer { idx in
            if let base = idx.baseAddress { maxPoolForward(x.pointer, planes: planes, window, out.pointer, base) }
        }
        let indices = argmax, inShape = x.shape
        return out.recorded("maxPool", [x]) { g in
            let gx = Tensor.zeros(inShape)
            indices.withUnsafeBufferPointer { idx in
                if let base = idx.baseAddress { maxPoolBackward(g.pointer, base, planes: planes, window, gx.pointer) }
            }
            return [gx]
        }
    }
}
