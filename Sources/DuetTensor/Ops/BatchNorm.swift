// Batch normalisation over axis 1 of [B, C, …] inputs, as PyTorch's BatchNorm1d/2d/3d compute it:
// batch statistics in training (running statistics updated in place), running ones in eval.

/// Normalises each channel of `x` ([B, C, …]) and applies the optional affine `weight` and
/// `bias` ([C]).
///
/// In training, or when there are no running statistics, the batch's mean and biased variance
/// normalise, and gradients flow through them. In training, `runningMean` and `runningVar` are
/// also updated in place (not recorded): r ← (1 − momentum)·r + momentum·s, with the unbiased
/// batch variance. In eval mode the running statistics normalise and are constants.
public func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                      training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    precondition(x.rank >= 2, "batchNorm: input \(x.shape) needs [B, C, …]")
    let planes = ChannelPlanes(batch: x.shape[0], channels: x.shape[1], plane: x.shape[2...].reduce(1, *))
    let channels = planes.channels
    for (name, t) in [("weight", weight), ("bias", bias), ("runningMean", runningMean), ("runningVar", runningVar)] {
        if let t { precondition(t.shape == [channels], "batchNorm: \(name) \(t.shape) for \(channels) channels") }
    }
    precondition((runningMean == nil) == (runningVar == nil), "batchNorm: give both running statistics or neither")
    let useBatchStatistics = training || runningMean == nil
    var batchMean = [Float](repeating: 0, count: channels), variance = batchMean
    if useBatchStatistics {
        precondition(!training || planes.perChannel > 1, "batchNorm: training needs more than one value per channel, input \(x.shape)")
        batchNormStatistics(x.pointer, planes, mean: &batchMean, variance: &variance)
        if training, let runningMean, let runningVar {
            let unbiased = Float(planes.perChannel) / Float(planes.perChannel - 1)
            for c in 0..<channels {
                runningMean.pointer[c] = (1 - momentum) * runningMean.pointer[c] + momentum * batchMean[c]
                runningVar.pointer[c] = (1 - momentum) * runningVar.pointer[c] + momentum * variance[c] * unbiased
            }
        }
    } else if let runningMean, let runningVar {
        batchMean = runningMean.scalars
        variance = runningVar.scalars
    }
    let mean = batchMean
    let rstd = variance.map { 1 / ($0 + eps).squareRoot() }
    var scale = rstd
    if let weight { for c in 0..<channels { scale[c] *= weight.pointer[c] } }
    let shift = bias?.scalars ?? [Float](repeating: 0, count: channels)

    let out = Tensor(uninitializedShape: x.shape)
    batchNormApply(x.pointer, planes, mean: mean, scale: scale, shift: shift, out.pointer)
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return out.recorded("batchNorm", inputs) { g in
        let gx = x.requiresGrad ? Tensor(uninitializedShape: x.shape) : nil
        let gWeight = weight?.requiresGrad == true ? Tensor(uninitializedShape: [channels]) : nil
        let gBias = bias?.requiresGrad == true ? Tensor(uninitializedShape: [channels]) : nil
        batchNormBackward(g.pointer, x.pointer, planes, mean: mean, rstd: rstd, scale: scale,
                          throughStatistics: useBatchStatistics, gx: gx?.pointer,
                          gWeight: gWeight?.pointer, gBias: gBias?.pointer)
        var grads: [Tensor?] = [gx]
        if weight != nil { grads.append(gWeight) }
        if bias != nil { grads.append(gBias) }
        return grads
    }
}
