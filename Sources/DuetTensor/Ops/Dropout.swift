// Dropout and drop-path (stochastic depth), their masks drawn from the counter-based stream so
// that a resumed run drops exactly what it would have.

extension Tensor {
    /// Zeroes each element with probability `p` and scales survivors by 1/(1 − p).
    /// Identity when `p` is 0.
    public func dropout(_ p: Float, stream: RandomStream) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability \(p) must be in [0, 1)")
        if p == 0 { return self }
        let mask = Tensor(uninitializedShape: shape)
        let keepScale = 1 / (1 - p)
        let mp = UncheckedSendable(mask.pointer)
        parallelFor(count, grain: 4096) { r in
            for i in r { mp.value[i] = stream.uniform(i) < p ? 0 : keepScale }
        }
        return self * mask
    }

    /// Drops whole samples (axis 0) with probability `p`, scaling the kept ones by 1/(1 − p):
    /// timm's DropPath on a residual branch.
    public func dropPath(_ p: Float, stream: RandomStream) -> Tensor {
        precondition(p >= 0 && p < 1, "drop-path probability \(p) must be in [0, 1)")
        if p == 0 || rank == 0 { return self }
        var maskShape = [Int](repeating: 1, count: rank)
        maskShape[0] = shape[0]
        let mask = Tensor(uninitializedShape: maskShape)
        for b in 0..<shape[0] { mask.pointer[b] = stream.uniform(b) < p ? 0 : 1 / (1 - p) }
        return self * mask
    }
}
