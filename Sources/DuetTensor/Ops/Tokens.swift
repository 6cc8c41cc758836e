// Token selection, the MAE masking primitive: per-sample indices pick tokens out of [B, N, D]
// (gather) or put them back (scatter).

/// Per-sample token indices, [batch, count] row-major.
public struct TokenIndices: Sendable, Equatable {
    public let values: [Int32]
    public let batch: Int
    public let count: Int

    public init(values: [Int32], batch: Int, count: Int) {
        precondition(values.count == batch * count, "\(values.count) indices for \(batch)×\(count)")
        self.values = values
        self.batch = batch
        self.count = count
    }

    /// One row of indices per sample; rows must have equal lengths.
    public init(rows: [[Int32]]) {
        let k = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == k }, "token index rows differ in length")
        self.init(values: rows.flatMap { $0 }, batch: rows.count, count: k)
    }
}

extension Tensor {
    /// Rows `indices[b, k]` of each sample of [B, N, D] → [B, K, D].
    public func gatheringTokens(_ indices: TokenIndices) -> Tensor {
        profiled(.elementwise) {
            precondition(rank == 3 && shape[0] == indices.batch, "gatheringTokens: \(shape) with \(indices.batch) index rows")
            let (b, n, d, k) = (shape[0], shape[1], shape[2], indices.count)
            precondition(indices.values.allSatisfy { $0 >= 0 && Int($0) < n }, "token index out of 0..<\(n)")
            let out = Tensor(uninitializedShape: [b, k, d])
            moveTokens(indices, from: pointer, fromTokens: n, to: out.pointer, toTokens: k, d: d, gather: true)
            let inShape = shape
            return out.recorded("gatherTokens", [self]) { g in
                let gx = Tensor.zeros(inShape)
                accumulateTokens(indices, from: g.pointer, into: gx.pointer, tokens: n, d: d)
                return [gx]
            }
        }
    }

    /// A copy of `base` [B, N, D] whose rows `indices[b, k]` are replaced by `self` [B, K, D]
    /// (indices distinct within a sample).
    public func scatteringTokens(_ indices: TokenIndices, into base: Tensor) -> Tensor {
        profiled(.elementwise) {
            precondition(rank == 3 && base.rank == 3 && shape[0] == base.shape[0] && shape[2] == base.shape[2]
                         && shape[0] == indices.batch && shape[1] == indices.count,
                         "scatteringTokens: \(shape) into \(base.shape) with \(indices.batch)×\(indices.count) indices")
            let (n, d, k) = (base.shape[1], base.shape[2], indices.count)
            precondition(indices.values.allSatisfy { $0 >= 0 && Int($0) < n }, "token index out of 0..<\(n)")
            let out = base.copy()
            moveTokens(indices, from: pointer, fromTokens: k, to: out.pointer, toTokens: n, d: d, gather: false)
            return out.recorded("scatterTokens", [self, base]) { g in
                var gSrc: Tensor?, gBase: Tensor?
                if self.requiresGrad { gSrc = g.gatheringTokens(indices) }
                if base.requiresGrad {
                    let gb = g.copy()
                    let zeros = Tensor.zeros([indices.batch, k, d])
                    moveTokens(indices, from: zeros.pointer, fromTokens: k, to: gb.pointer, toTokens: n, d: d, gather: false)
                    gBase = gb
                }
                return [gSrc, gBase]
            }
        }
    }
}

/// gather: to[b, j] = from[b, idx[b, j]]; scatter: to[b, idx[b, j]] = from[b, j].
private func moveTokens(_ indices: TokenIndices, from: UnsafeMutablePointer<Float>, fromTokens: Int,
                        to: UnsafeMutablePointer<Float>, toTokens: Int, d: Int, gather: Bool) {
    guard !indices.values.isEmpty else { return }
    let p = UncheckedSendable((from, to))
    indices.values.withUnsafeBufferPointer { idxBuf in
        let idx = UncheckedSendable(idxBuf.baseAddress!)
        parallelFor(indices.batch, grain: 1) { range in
            let (from, to) = p.value
            for b in range {
                for j in 0..<indices.count {
                    let t = Int(idx.value[b * indices.count + j])
                    if gather {
                        (to + (b * toTokens + j) * d).update(from: from + (b * fromTokens + t) * d, count: d)
                    } else {
                        (to + (b * toTokens + t) * d).update(from: from + (b * fromTokens + j) * d, count: d)
                    }
                }
            }
        }
    }
}

/// into[b, idx[b, j]] += from[b, j] (gather's backward; repeated indices add up).
private func accumulateTokens(_ indices: TokenIndices, from: UnsafeMutablePointer<Float>,
                              into: UnsafeMutablePointer<Float>, tokens: Int, d: Int) {
    for b in 0..<indices.batch {
        for j in 0..<indices.count {
            let t = Int(indices.values[b * indices.count + j])
            let src = from + (b * indices.count + j) * d, dst = into + (b * tokens + t) * d
            for c in 0..<d { dst[c] += src[c] }
        }
    }
}
