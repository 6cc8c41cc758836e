// Reductions: sum, mean, max and variance along an axis (kept or dropped) or over everything,
// and the global L2 norm of a set of tensors (gradient clipping).

extension Tensor {
    private func reducedShape(_ axis: Int, keep: Bool) -> [Int] {
        var s = shape
        if keep { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Sum along `axis`.
    public func sum(axis: Int, keepingDims keep: Bool = false) -> Tensor {
        profiled(.elementwise) {
            let ax = normalizedAxis(axis)
            let (outer, size, inner) = splitAround(shape, axis: ax)
            let out = Tensor(uninitializedShape: reducedShape(ax, keep: keep))
            reduceAxisKernel(.sum, pointer, out.pointer, outer: outer, size: size, inner: inner)
            let inShape = shape, keptShape = reducedShape(ax, keep: true)
            return out.recorded("sum", [self]) { g in
                [g.reshaped(keptShape).broadcast(axis: ax, to: inShape)]
            }
        }
    }

    /// Sum of every element, as a one-element tensor of shape [].
    public func sum() -> Tensor {
        profiled(.elementwise) {
            let out = Tensor(uninitializedShape: [])
            out.pointer[0] = Float(sumAll())
            let inShape = shape
            return out.recorded("sumAll", [self]) { g in [Tensor.full(inShape, g.pointer[0])] }
        }
    }

    /// Double-precision sum of all elements (for metrics and gradient checks).
    public func sumAll() -> Double {
        let chunk = 1 << 14
        var total = 0.0
        var i = 0
        while i < count {
            let n = Swift.min(chunk, count - i)
            total += Double(sumContiguous(pointer + i, n))
            i += n
        }
        return total
    }

    public func mean(axis: Int, keepingDims keep: Bool = false) -> Tensor {
        let n = size(axis)
        return sum(axis: axis, keepingDims: keep) * (1 / Float(n))
    }

    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Maximum along `axis`; the gradient goes to the first position of the maximum.
    public func max(axis: Int, keepingDims keep: Bool = false) -> Tensor {
        let ax = normalizedAxis(axis)
        let (outer, size, inner) = splitAround(shape, axis: ax)
        let out = Tensor(uninitializedShape: reducedShape(ax, keep: keep))
        reduceAxisKernel(.max, pointer, out.pointer, outer: outer, size: size, inner: inner)
        let y = out.storage
        return out.recorded("max", [self]) { [self] g in
            let gx = Tensor.zeros(shape)
            for o in 0..<outer {
                for i in 0..<inner {
                    let m = y.pointer[o * inner + i]
                    for a in 0..<size where pointer[(o * size + a) * inner + i] == m {
                        gx.pointer[(o * size + a) * inner + i] = g.pointer[o * inner + i]
                        break
                    }
                }
            }
            return [gx]
        }
    }

    /// Largest element.
    public func max() -> Tensor { reshaped([count]).max(axis: 0) }

    /// Variance along `axis` (unbiased by default, as torch.var).
    public func variance(axis: Int, keepingDims keep: Bool = false, unbiased: Bool = true) -> Tensor {
        let n = size(axis)
        let centred = self - mean(axis: axis, keepingDims: true)
        let denom = Float(Swift.max(unbiased ? n - 1 : n, 1))
        return (centred * centred).sum(axis: axis, keepingDims: keep) * (1 / denom)
    }

    /// Variance of every element (unbiased by default, as torch.var).
    public func variance(unbiased: Bool = true) -> Tensor {
        flattened().variance(axis: 0, unbiased: unbiased)
    }

    /// Repeats a tensor that has size 1 at `axis` to `shape` (the backward of a reduction).
    func broadcast(axis: Int, to target: [Int]) -> Tensor {
        let out = Tensor.zeros(target)
        binaryKernel(.add, out, self, out)
        return out
    }

    /// √(Σ x²) over every element of `tensors` (gradient clipping reports this).
    public static func globalNorm(_ tensors: [Tensor]) -> Tensor {
        var parts: [Tensor] = []
        for t in tensors { parts.append((t * t).sum()) }
        guard var total = parts.first else { return Tensor.zeros([]) }
        for p in parts.dropFirst() { total = total + p }
        return total.sqrt()
    }
}
