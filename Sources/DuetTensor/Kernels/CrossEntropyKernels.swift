// Kernels of softmax cross-entropy with label smoothing: one pass per row for the log-sum-exp and
// the loss, one pass per row for the gradient softmax − smoothed one-hot.
#if canImport(Glibc)
import Glibc
#endif

/// log Σ_c e^{x_c} over n contiguous floats, shifted by the maximum so no term overflows.
@inline(__always)
func stableLogSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = -Float.infinity
    for c in 0..<n where x[c] > m { m = x[c] }
    if m == -.infinity || !m.isFinite { return m }
    var s: Float = 0
    for c in 0..<n { s += fastExp(x[c] - m) }
    return m + logf(s)
}

/// The smoothed cross-entropy of the rows whose label is not ignored, summed; writes each row's
/// log-sum-exp to `lse` for backward. Row loss: (1 − ε)(lse − x_y) + (ε/C)(C·lse − Σ_c x_c).
func crossEntropyForward(_ logits: UnsafePointer<Float>, _ labels: UnsafePointer<Int32>, _ lse: UnsafeMutablePointer<Float>,
                         rows: Int, classes: Int, smoothing: Float, ignoreIndex: Int32?) -> Double {
    let s = UncheckedSendable((logits, labels, lse))
    let uniform = smoothing / Float(classes)
    return blockwiseSum(rows, block: rowsPerBlock(classes)) { r in
        let (logits, labels, lse) = s.value
        var total = 0.0
        for row in r {
            let x = logits + row * classes
            let label = labels[row]
            if label == ignoreIndex { lse[row] = 0; continue }
            let l = stableLogSumExp(x, classes)
            lse[row] = l
            var rowLoss = (1 - smoothing) * (l - x[Int(label)])
            if smoothing != 0 { rowLoss += uniform * (Float(classes) * l - sumContiguous(x, classes)) }
            total += Double(rowLoss)
        }
        return total
    }
}

/// g = scale · (softmax − (1 − ε)·onehot(y) − ε/C) on kept rows, 0 on ignored ones.
func crossEntropyBackward(_ logits: UnsafePointer<Float>, _ labels: UnsafePointer<Int32>, _ lse: UnsafePointer<Float>,
                          _ grad: UnsafeMutablePointer<Float>, rows: Int, classes: Int, smoothing: Float,
                          ignoreIndex: Int32?, scale: Float) {
    let s = UncheckedSendable((logits, labels, lse, grad))
    let shift = scale * smoothing / Float(classes)
    parallelFor(rows, grain: rowsPerBlock(classes)) { r in
        let (logits, labels, lse, grad) = s.value
        for row in r {
            let x = logits + row * classes, g = grad + row * classes
            let label = labels[row]
            if label == ignoreIndex {
                g.update(repeating: 0, count: classes)
                continue
            }
            let l = lse[row]
            for c in 0..<classes { g[c] = scale * fastExp(x[c] - l) - shift }
            g[Int(label)] -= scale * (1 - smoothing)
        }
    }
}
