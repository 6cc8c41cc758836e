// Shape ops that copy: permute / transpose, concat, narrow / split, expand / repeat, pad.

extension Tensor {
    /// Axes reordered (out axis i is self axis `order[i]`), materialised.
    public func permuted(_ order: [Int]) -> Tensor {
        profiled(.elementwise) {
            precondition(order.sorted() == Array(0..<rank), "permutation \(order) does not fit rank \(rank)")
            if order == Array(0..<rank) { return self }
            let out = Tensor(uninitializedShape: order.map { shape[$0] })
            permuteKernel(pointer, shape: shape, order: order, out.pointer)
            var inverse = [Int](repeating: 0, count: rank)
            for (i, o) in order.enumerated() { inverse[o] = i }
            return out.recorded("permute", [self]) { g in [g.permuted(inverse)] }
        }
    }

    /// Two axes swapped (the last two by default), materialised.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(order)
    }

    /// Tensors joined along `axis`; all other axes must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        profiled(.elementwise) {
            precondition(!tensors.isEmpty, "concat of no tensors")
            let first = tensors[0]
            let ax = first.normalizedAxis(axis)
            for t in tensors {
                precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == ax || t.shape[$0] == first.shape[$0] },
                             "concat: \(t.shape) does not match \(first.shape) off axis \(ax)")
            }
            var outShape = first.shape
            outShape[ax] = tensors.reduce(0) { $0 + $1.shape[ax] }
            let out = Tensor(uninitializedShape: outShape)
            let (outer, _, inner) = splitAround(outShape, axis: ax)
            var offset = 0
            var offsets: [Int] = []
            for t in tensors {
                offsets.append(offset)
                copyAlongAxis(t.pointer, out.pointer, outer: outer, size: t.shape[ax], inner: inner,
                              offset: offset, axisSize: outShape[ax], gather: false)
                offset += t.shape[ax]
            }
            return out.recorded("concat", tensors) { g in
                zip(tensors, offsets).map { t, off in t.requiresGrad ? g.narrowed(axis: ax, start: off, length: t.shape[ax]) : nil }
            }
        }
    }

    /// `length` entries of `axis` from `start`, copied.
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        profiled(.elementwise) {
            let ax = normalizedAxis(axis)
            precondition(start >= 0 && length >= 0 && start + length <= shape[ax], "narrow \(start)..<\(start + length) out of axis \(ax) of \(shape)")
            var outShape = shape
            outShape[ax] = length
            let out = Tensor(uninitializedShape: outShape)
            let (outer, size, inner) = splitAround(shape, axis: ax)
            copyAlongAxis(pointer, out.pointer, outer: outer, size: length, inner: inner, offset: start, axisSize: size, gather: true)
            let inShape = shape
            return out.recorded("narrow", [self]) { g in
                let gx = Tensor.zeros(inShape)
                copyAlongAxis(g.pointer, gx.pointer, outer: outer, size: length, inner: inner, offset: start, axisSize: size, gather: false)
                return [gx]
            }
        }
    }

    /// Pieces of `sizes` along `axis` (they must add up to the axis).
    public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
        precondition(sizes.reduce(0, +) == size(axis), "split sizes \(sizes) do not add up to axis \(axis) of \(shape)")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return narrowed(axis: axis, start: start, length: n)
        }
    }

    /// Broadcast to `target` (NumPy rules), materialised.
    public func expanded(to target: [Int]) -> Tensor {
        precondition(broadcastShape(shape, target) == target, "cannot expand \(shape) to \(target)")
        if target == shape { return self }
        let out = Tensor.zeros(target)
        binaryKernel(.add, out, self, out)
        let inShape = shape
        return out.recorded("expand", [self]) { g in [sumToShape(g, inShape)] }
    }

    /// Tiled `times[i]` times along each axis (torch.Tensor.repeat).
    public func repeated(_ times: [Int]) -> Tensor {
        precondition(times.count == rank && times.allSatisfy { $0 >= 1 }, "repeat counts \(times) do not fit \(shape)")
        var result = self
        for (ax, n) in times.enumerated() where n > 1 {
            result = Tensor.concat(Array(repeating: result, count: n), axis: ax)
        }
        return result
    }

    /// Constant padding: `padding[i]` = (before, after) for axis i (fewer entries pad the last axes).
    public func padded(_ padding: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        precondition(padding.count <= rank, "padding for \(padding.count) axes on rank \(rank)")
        var result = self
        let first = rank - padding.count
        for (i, p) in padding.enumerated() where p.before > 0 || p.after > 0 {
            let ax = first + i
            var parts: [Tensor] = []
            var s = result.shape
            if p.before > 0 { s[ax] = p.before; parts.append(Tensor.full(s, value)) }
            parts.append(result)
            if p.after > 0 { s[ax] = p.after; parts.append(Tensor.full(s, value)) }
            result = Tensor.concat(parts, axis: ax)
        }
        return result
    }
}
