// Binary elementwise kernels with NumPy broadcasting, and the reduction of a gradient back to
// a broadcast operand's shape. Fast paths: equal shapes and a trailing-suffix operand (a bias
// over rows); anything else runs a strided loop.

public enum BinaryOp: Sendable { case add, sub, mul, div, maximum, minimum }

@inline(__always)
func applyBinary(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
    switch op {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    case .maximum: return a > b ? a : b
    case .minimum: return a < b ? a : b
    }
}

/// The shape two operands broadcast to (NumPy rules), or nil when they do not.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

/// Strides of `shape` right-aligned into `outShape`, 0 on broadcast axes.
func broadcastStrides(_ shape: [Int], into outShape: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let lead = outShape.count - shape.count
    return (0..<outShape.count).map { i in
        i < lead || shape[i - lead] == 1 ? 0 : own[i - lead]
    }
}

@inline(__always)
private func loopSame(_ op: BinaryOp, _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                      _ o: UnsafeMutablePointer<Float>, _ r: Range<Int>) {
    switch op {
    case .add: for i in r { o[i] = a[i] + b[i] }
    case .sub: for i in r { o[i] = a[i] - b[i] }
    case .mul: for i in r { o[i] = a[i] * b[i] }
    case .div: for i in r { o[i] = a[i] / b[i] }
    case .maximum: for i in r { o[i] = a[i] > b[i] ? a[i] : b[i] }
    case .minimum: for i in r { o[i] = a[i] < b[i] ? a[i] : b[i] }
    }
}

/// out = a ⊙ b with broadcasting; out has `outShape`.
func binaryKernel(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, _ out: Tensor) {
    let pa = UncheckedSendable(a.pointer), pb = UncheckedSendable(b.pointer), po = UncheckedSendable(out.pointer)
    let n = out.count
    if a.count == n && b.count == n {
        parallelFor(n, grain: 16384) { r in loopSame(op, pa.value, pb.value, po.value, r) }
        return
    }
    // b repeats over the leading rows of a (a bias, a per-feature scale): rows of length b.count.
    if a.count == n, n % max(b.count, 1) == 0, Array(out.shape.suffix(b.rank)) == b.shape {
        let cols = b.count, rows = n / max(cols, 1)
        parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { rr in
            for row in rr {
                let base = row * cols
                loopSame(op, pa.value + base, pb.value, po.value + base, 0..<cols)
            }
        }
        return
    }
    if b.count == n, n % max(a.count, 1) == 0, Array(out.shape.suffix(a.rank)) == a.shape {
        let cols = a.count, rows = n / max(cols, 1)
        parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { rr in
            for row in rr {
                let base = row * cols
                loopSame(op, pa.value, pb.value + base, po.value + base, 0..<cols)
            }
        }
        return
    }
    let sa = broadcastStrides(a.shape, into: out.shape), sb = broadcastStrides(b.shape, into: out.shape)
    let shape = out.shape
    // Innermost axis in a tight loop, the rest by an odometer.
    let inner = shape.last ?? 1, ia = sa.last ?? 0, ib = sb.last ?? 0
    let outer = n / max(inner, 1)
    let outerShape = Array(shape.dropLast())
    parallelFor(outer, grain: max(1, 4096 / max(inner, 1))) { rr in
        for row in rr {
            var rem = row, offA = 0, offB = 0
            for d in stride(from: outerShape.count - 1, through: 0, by: -1) {
                let idx = rem % outerShape[d]
                rem /= outerShape[d]
                offA += idx * sa[d]
                offB += idx * sb[d]
            }
            let o = po.value + row * inner
            for j in 0..<inner { o[j] = applyBinary(op, pa.value[offA + j * ia], pb.value[offB + j * ib]) }
        }
    }
}

/// Sums `g` (of a broadcast result's shape) down to `shape`, undoing the broadcast.
func sumToShape(_ g: Tensor, _ shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    let out = Tensor.zeros(shape)
    let n = g.count
    guard out.count > 0 else { return out }
    let pg = g.pointer, po = out.pointer
    let core = stripLeadingOnes(shape)
    if Array(g.shape.suffix(core.count)) == core {
        // Leading axes collapse: add rows, in parallel over columns so writes stay disjoint.
        let cols = out.count, rows = n / cols
        let s = UncheckedSendable((pg, po))
        parallelFor(cols, grain: 256) { cr in
            for r in 0..<rows {
                let src = s.value.0 + r * cols
                for c in cr { s.value.1[c] += src[c] }
            }
        }
        return out
    }
    let so = broadcastStrides(shape, into: g.shape)
    let gs = g.shape
    var idx = [Int](repeating: 0, count: gs.count)
    for i in 0..<n {
        var off = 0
        for d in 0..<gs.count { off += idx[d] * so[d] }
        po[off] += pg[i]
        var d = gs.count - 1
        while d >= 0 {
            idx[d] += 1
            if idx[d] < gs[d] { break }
            idx[d] = 0
            d -= 1
        }
    }
    return out
}

func stripLeadingOnes(_ s: [Int]) -> [Int] {
    Array(s.drop(while: { $0 == 1 }))
}
