// Regression losses, fused ops that return a scalar (shape []): masked MSE (MAE) with its
// per-patch normalised targets, smooth L1 (data2vec), and 1 − cos (MVD, MimCo). Kernels in
// Kernels/LossKernels.swift.

/// The squared error averaged over the last axis per token, then over the tokens that `mask`
/// weights: Σ_r mse_r · mask_r / Σ_r mask_r, the loss MAE computes on its masked patches.
///
/// `pred` and `target` are [..., D]; `mask` holds one weight per token (shape [...], usually 1
/// for a patch to reconstruct and 0 otherwise). Without a mask every token counts. A mask of all
/// zeros gives 0 and zero gradients (PyTorch's formula gives 0/0), so a step with nothing to
/// predict does not poison a run. The mask gets no gradient; `target` does when it requires one.
public func mseLoss(_ pred: Tensor, _ target: Tensor, mask: Tensor? = nil) -> Tensor {
    profiled(.elementwise) {
        let (rows, width) = lossRows(pred, target, "mseLoss")
        if let mask {
            precondition(mask.count == rows, "mseLoss: mask of shape \(mask.shape) does not give one weight per token of \(pred.shape)")
        }
        let weight = mask.map { $0.sumAll() } ?? Double(rows)
        let total = maskedMSEForward(pred.pointer, target.pointer, mask?.pointer, rows: rows, width: width)
        let out = Tensor(shape: [], scalars: [weight != 0 ? Float(total / weight) : 0])
        return out.recorded("mseLoss", [pred, target]) { g in
            let gp = Tensor.zeros(pred.shape)
            if weight != 0 {
                let scale = g.pointer[0] * 2 / Float(Double(width) * weight)
                maskedMSEBackward(pred.pointer, target.pointer, mask?.pointer, gp.pointer, rows: rows, width: width, scale: scale)
            }
            return predictionGradients(gp, pred, target)
        }
    }
}

/// MAE's per-patch normalised pixel targets: each row over the last axis minus its mean, divided
/// by √(var + eps) with the unbiased variance (torch.var's default). Targets carry no gradient.
public func normalizedPatchTargets(_ target: Tensor, eps: Float = 1e-6) -> Tensor {
    precondition(target.rank >= 1 && target.shape.last! > 0, "normalizedPatchTargets needs a non-empty last axis, shape is \(target.shape)")
    let width = target.shape.last!
    let out = Tensor(uninitializedShape: target.shape)
    normalizeRowsKernel(target.pointer, out.pointer, rows: target.count / width, width: width, eps: eps)
    return out
}

/// Smooth L1 (Huber divided by β), averaged over every element as PyTorch's `smooth_l1_loss`:
/// ½(p − t)²/β where |p − t| < β, |p − t| − ½β elsewhere; β = 0 is plain L1.
public func smoothL1Loss(_ pred: Tensor, _ target: Tensor, beta: Float = 1) -> Tensor {
    precondition(beta >= 0, "smoothL1Loss: beta must not be negative, got \(beta)")
    precondition(pred.shape == target.shape, "smoothL1Loss: pred \(pred.shape) and target \(target.shape) differ")
    let n = pred.count
    let total = smoothL1Forward(pred.pointer, target.pointer, count: n, beta: beta)
    let out = Tensor(shape: [], scalars: [n > 0 ? Float(total / Double(n)) : 0])
    return out.recorded("smoothL1Loss", [pred, target]) { g in
        let gp = Tensor(uninitializedShape: pred.shape)
        smoothL1Backward(pred.pointer, target.pointer, gp.pointer, count: n, beta: beta, scale: g.pointer[0] / Float(max(n, 1)))
        return predictionGradients(gp, pred, target)
    }
}

/// The mean over tokens of 1 − cos(pred, target), the cosine taken over the last axis with each
/// norm clamped below at `eps` (torch.nn.functional.cosine_similarity). Both inputs get gradients
/// when they require them.
public func cosineLoss(_ pred: Tensor, _ target: Tensor, eps: Float = 1e-8) -> Tensor {
    let (rows, width) = lossRows(pred, target, "cosineLoss")
    let stats = Tensor(uninitializedShape: [rows, cosineStatisticsWidth])
    let total = cosineForward(pred.pointer, target.pointer, stats.pointer, rows: rows, width: width, eps: eps)
    let out = Tensor(shape: [], scalars: [rows > 0 ? Float(1 - total / Double(rows)) : 0])
    return out.recorded("cosineLoss", [pred, target]) { g in
        let scale = -g.pointer[0] / Float(max(rows, 1))
        var grads: [Tensor?] = [nil, nil]
        for (k, (x, y)) in [(pred, target), (target, pred)].enumerated() where x.requiresGrad {
            let gx = Tensor(uninitializedShape: x.shape)
            cosineBackward(x.pointer, y.pointer, stats.pointer, gx.pointer, rows: rows, width: width, scale: scale, swapped: k == 1)
            grads[k] = gx
        }
        return grads
    }
}

/// The (rows, width) of two same-shaped operands seen as rows over their last axis.
private func lossRows(_ pred: Tensor, _ target: Tensor, _ name: String) -> (rows: Int, width: Int) {
    precondition(pred.shape == target.shape, "\(name): pred \(pred.shape) and target \(target.shape) differ")
    precondition(pred.rank >= 1 && pred.shape.last! > 0, "\(name) needs a non-empty last axis, shape is \(pred.shape)")
    let width = pred.shape.last!
    return (pred.count / width, width)
}

/// The gradients of a loss of (pred − target): gp for pred, −gp for target, each where wanted.
private func predictionGradients(_ gp: Tensor, _ pred: Tensor, _ target: Tensor) -> [Tensor?] {
    [pred.requiresGrad ? gp : nil, target.requiresGrad ? -gp : nil]
}
