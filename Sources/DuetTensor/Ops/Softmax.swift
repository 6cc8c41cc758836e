// softmax and log-softmax along an axis (the last axis runs in place; others move it last).

extension Tensor {
    public func softmax(axis: Int = -1) -> Tensor { softmaxFamily(axis: axis, log: false) }
    public func logSoftmax(axis: Int = -1) -> Tensor { softmaxFamily(axis: axis, log: true) }

    private func softmaxFamily(axis: Int, log: Bool) -> Tensor {
        profiled(.elementwise) {
            let ax = normalizedAxis(axis)
            if ax != rank - 1 {
                return transposed(ax, -1).softmaxFamily(axis: -1, log: log).transposed(ax, -1)
            }
            let cols = shape.last ?? 1, rows = count / Swift.max(cols, 1)
            let out = Tensor(uninitializedShape: shape)
            softmaxRows(pointer, out.pointer, rows: rows, cols: cols, log: log)
            let y = out.storage
            let inShape = shape
            return out.recorded(log ? "logSoftmax" : "softmax", [self]) { g in
                let dx = Tensor(uninitializedShape: inShape)
                softmaxBackwardRows(y.pointer, g.pointer, dx.pointer, rows: rows, cols: cols, log: log)
                return [dx]
            }
        }
    }
}
