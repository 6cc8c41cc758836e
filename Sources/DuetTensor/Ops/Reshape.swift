// Reshape: a view that shares storage (the only kind of view Duet has).

extension Tensor {
    /// The same values with a new shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let hole = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[hole] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let out = Tensor(shape: s, storage: storage)
        let inShape = shape
        return out.recorded("reshape", [self]) { g in [g.reshaped(inShape)] }
    }

    /// Merges all axes into one.
    public func flattened() -> Tensor { reshaped([count]) }
}
