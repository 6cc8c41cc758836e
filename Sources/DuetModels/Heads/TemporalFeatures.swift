// The time layout of a token grid (steps, input frames per step), and the masked temporal mean
// LRW-style word classifiers pool per-step features with.
import DuetTensor

extension TokenGrid {
    /// Time steps of the grid: tubelets along time for video, patch rows (frames / patch) for
    /// a spectrogram [frames × mels].
    public var timeSteps: Int {
        switch self {
        case let .image(_, h, _, p): return h / p
        case let .video(_, t, _, _, tt, _): return t / tt
        }
    }

    /// Input frames per time step (the tubelet length, or the patch height in filterbank frames).
    public var framesPerStep: Int {
        switch self {
        case let .image(_, _, _, p): return p
        case let .video(_, _, _, _, tt, _): return tt
        }
    }
}

/// The mean over the first `lengths[b]` steps of each sample of `x` [B, T, D] → [B, D]: padding
/// steps get weight 0, so a padded clip pools as its unpadded self would.
public func maskedTimeMean(_ x: Tensor, lengths: [Int]?) -> Tensor {
    let (b, t) = (x.shape[0], x.shape[1])
    guard let lengths, lengths.contains(where: { $0 < t }) else { return x.mean(axis: 1) }
    precondition(lengths.count == b, "maskedTimeMean: \(lengths.count) lengths for a batch of \(b)")
    var weights = [Float](repeating: 0, count: b * t)
    for (i, n) in lengths.enumerated() {
        let valid = min(max(n, 1), t)
        for s in 0..<valid { weights[i * t + s] = 1 / Float(valid) }
    }
    return (x * Tensor(shape: [b, t, 1], scalars: weights)).sum(axis: 1)
}
