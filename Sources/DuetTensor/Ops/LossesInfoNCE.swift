// Symmetric InfoNCE (CLIP's contrastive loss, MAViL's audio-video term), composed of
// l2Normalized, matmul and the fused cross-entropy: its N×N logits are small.

/// Symmetric InfoNCE between paired rows of `a` and `v` [N, D]: rows are L2-normalised, the
/// logits are za·zvᵀ / `temperature`, and row i's positive is column i. The loss is the mean of
/// the cross-entropy over rows (a → v) and over columns (v → a).
public func infoNCELoss(_ a: Tensor, _ v: Tensor, temperature: Float) -> Tensor {
    precondition(a.rank == 2 && a.shape == v.shape, "infoNCELoss needs two [N, D] batches, got \(a.shape) and \(v.shape)")
    precondition(temperature > 0, "infoNCELoss: temperature must be positive, got \(temperature)")
    let logits = Tensor.matmul(a.l2Normalized(axis: -1), v.l2Normalized(axis: -1), transposeB: true) * (1 / temperature)
    let positives = (0..<a.shape[0]).map { Int32($0) }
    let audioToVideo = crossEntropyLoss(logits, labels: positives, ignoreIndex: nil)
    let videoToAudio = crossEntropyLoss(logits.transposed(0, 1), labels: positives, ignoreIndex: nil)
    return (audioToVideo + videoToAudio) * 0.5
}
