// Softmax cross-entropy with label smoothing and an ignored label, fused (log-softmax and NLL in
// one op, the row statistics saved for backward). Kernels in Kernels/CrossEntropyKernels.swift.

/// Cross-entropy of `logits` [..., C] (classes on the last axis) against one class index per row,
/// as PyTorch's `cross_entropy(logits, labels, label_smoothing: ε, ignore_index:)` with the mean
/// reduction: each row's target mixes (1 − ε)·one-hot with ε/C uniform, and the mean runs over
/// the rows whose label is not `ignoreIndex` (nil ignores none). A batch in which every row is
/// ignored gives 0 and zero gradients (PyTorch gives 0/0).
public func crossEntropyLoss(_ logits: Tensor, labels: [Int32], labelSmoothing: Float = 0, ignoreIndex: Int32? = -100) -> Tensor {
    precondition(logits.rank >= 1 && logits.shape.last! > 0, "crossEntropyLoss needs classes on the last axis, shape is \(logits.shape)")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropyLoss: label smoothing \(labelSmoothing) is outside [0, 1]")
    let classes = logits.shape.last!, rows = logits.count / classes
    precondition(labels.count == rows, "crossEntropyLoss: \(labels.count) labels for \(rows) rows of \(logits.shape)")
    guard rows > 0 else {
        return Tensor.zeros([]).recorded("crossEntropyLoss", [logits]) { _ in [Tensor.zeros(logits.shape)] }
    }
    var kept = 0
    for label in labels where label != ignoreIndex {
        precondition(label >= 0 && Int(label) < classes, "crossEntropyLoss: label \(label) outside 0..<\(classes)")
        kept += 1
    }
    let lse = Tensor(uninitializedShape: [rows])
    let total = labels.withUnsafeBufferPointer { lab in
        crossEntropyForward(logits.pointer, lab.baseAddress!, lse.pointer, rows: rows, classes: classes,
                            smoothing: labelSmoothing, ignoreIndex: ignoreIndex)
    }
    let out = Tensor(shape: [], scalars: [kept > 0 ? Float(total / Double(kept)) : 0])
    return out.recorded("crossEntropyLoss", [logits]) { g in
        let gx = Tensor(uninitializedShape: logits.shape)
        let scale = kept > 0 ? g.pointer[0] / Float(kept) : 0
        labels.withUnsafeBufferPointer { lab in
            crossEntropyBackward(logits.pointer, lab.baseAddress!, lse.pointer, gx.pointer, rows: rows, classes: classes,
                                 smoothing: labelSmoothing, ignoreIndex: ignoreIndex, scale: scale)
        }
        return [gx]
    }
}
