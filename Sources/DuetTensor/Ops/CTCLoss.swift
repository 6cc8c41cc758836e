// Connectionist temporal classification (CTC) loss on raw logits, fused with its log-softmax:
// samples run in parallel, alpha is kept for backward, beta is recomputed there two rows at a time.
// Kernels in Kernels/CTCKernels.swift.

/// How `ctcLoss` combines the per-sample losses.
public enum CTCReduction: Sendable {
    /// PyTorch's "mean": each sample's loss over its target length (at least 1), averaged over the batch.
    case mean
    /// The sum of the per-sample losses (ESPnet and Auto-AVSR divide it by the batch size themselves).
    case sum
}

/// The CTC loss of `logits` [T, B, C] (the log-softmax is taken inside) against label sequences,
/// as PyTorch's `ctc_loss(log_softmax(logits), targets, inputLengths, targetLengths)`.
///
/// - `targets`: every sample's labels one after the other (PyTorch's concatenated form), in
///   0..<C and never `blank`.
/// - `inputLengths`: the frames of each sample (at most T); frames past it get no gradient.
/// - `targetLengths`: the labels of each sample; they sum to `targets.count`.
/// - `zeroInfinity`: a sample whose labels cannot be aligned in its frames (too many labels, or
///   repeats that need blanks between them) has an infinite loss and a NaN gradient, as in
///   PyTorch; with this set it counts 0 and gets a zero gradient instead (`zero_infinity`).
public func ctcLoss(_ logits: Tensor, targets: [Int32], inputLengths: [Int32], targetLengths: [Int32],
                    blank: Int = 0, reduction: CTCReduction = .mean, zeroInfinity: Bool = false) -> Tensor {
    precondition(logits.rank == 3, "ctcLoss needs logits [T, B, C], shape is \(logits.shape)")
    let frames = logits.shape[0], batch = logits.shape[1], classes = logits.shape[2]
    precondition(inputLengths.count == batch && targetLengths.count == batch,
                 "ctcLoss: \(inputLengths.count) input and \(targetLengths.count) target lengths for a batch of \(batch)")
    precondition(blank >= 0 && blank < classes, "ctcLoss: blank \(blank) outside 0..<\(classes)")
    guard batch > 0 else {
        return Tensor.zeros([]).recorded("ctcLoss", [logits]) { _ in [Tensor.zeros(logits.shape)] }
    }
    var samples: [CTCSample] = []
    samples.reserveCapacity(batch)
    var labelOffset = 0, alphaSize = 0, betaSize = 0
    for b in 0..<batch {
        let t = Int(inputLengths[b]), l = Int(targetLengths[b])
        precondition(t >= 0 && t <= frames, "ctcLoss: input length \(t) of sample \(b) outside 0...\(frames)")
        precondition(l >= 0 && labelOffset + l <= targets.count, "ctcLoss: target lengths exceed the \(targets.count) targets")
        let sample = CTCSample(frames: t, labelOffset: labelOffset, labelCount: l, alphaOffset: alphaSize, betaOffset: betaSize)
        samples.append(sample)
        labelOffset += l
        alphaSize += t * sample.states
        betaSize += 2 * sample.states
    }
    precondition(labelOffset == targets.count, "ctcLoss: target lengths sum to \(labelOffset), targets hold \(targets.count)")
    for label in targets {
        precondition(label >= 0 && Int(label) < classes && Int(label) != blank, "ctcLoss: target \(label) outside 0..<\(classes) or blank")
    }

    let lse = Tensor(uninitializedShape: [frames, batch])
    let alpha = Tensor(uninitializedShape: [alphaSize])
    let nll = Tensor(uninitializedShape: [batch])
    withCTCBatch(logits, targets, samples, blank, lse, alpha) { ctc in
        let out = nll.pointer
        parallelFor(batch) { r in
            for b in r { out[b] = ctc.forward(b) }
        }
    }
    // Each sample's weight in the total, and whether it was dropped as infeasible.
    let weights: [Float] = (0..<batch).map { b in
        if zeroInfinity && nll.pointer[b] == .infinity { return 0 }
        return reduction == .sum ? 1 : 1 / Float(max(Int(targetLengths[b]), 1) * batch)
    }
    var total = 0.0
    for b in 0..<batch where weights[b] != 0 { total += Double(weights[b]) * Double(nll.pointer[b]) }
    let result = Tensor(shape: [], scalars: [Float(total)])

    return result.recorded("ctcLoss", [logits]) { g in
        let grad = Tensor(uninitializedShape: logits.shape)
        let betaRows = Tensor(uninitializedShape: [betaSize])
        let upstream = g.pointer[0]
        withCTCBatch(logits, targets, samples, blank, lse, alpha) { ctc in
            let nll = nll.pointer, betaRows = betaRows.pointer, grad = grad.pointer
            weights.withUnsafeBufferPointer { w in
                parallelFor(batch) { r in
                    for b in r {
                        ctc.backward(b, nll: nll[b], scale: upstream * w[b], betaRows: betaRows, grad: grad)
                    }
                }
            }
        }
        return [grad]
    }
}

/// Runs `body` with the raw view of a CTC batch, valid for the call.
private func withCTCBatch(_ logits: Tensor, _ targets: [Int32], _ samples: [CTCSample], _ blank: Int,
                          _ lse: Tensor, _ alpha: Tensor, _ body: (CTCBatch) -> Void) {
    // An empty array may have no address; with no labels no sample reads one, so any will do.
    (targets.isEmpty ? [0] : targets).withUnsafeBufferPointer { tg in
        samples.withUnsafeBufferPointer { sp in
            body(CTCBatch(logits: logits.pointer, frames: logits.shape[0], batch: logits.shape[1], classes: logits.shape[2],
                          blank: blank, targets: tg.baseAddress!, samples: sp.baseAddress!, lse: lse.pointer, alpha: alpha.pointer))
        }
    }
}
