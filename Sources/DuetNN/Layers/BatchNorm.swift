// Batch normalisation for [B, C, …] inputs (PyTorch's BatchNorm1d/2d/3d in one layer), with the
// state-dict names `weight`, `bias`, `running_mean`, `running_var` and `num_batches_tracked`.
import DuetTensor

public struct BatchNorm: Sendable {
    public let weight: Parameter?
    public let bias: Parameter?
    public let runningMean: Parameter
    public let runningVar: Parameter
    /// Training steps seen, as PyTorch counts them. PyTorch keeps it as an int64 scalar; here it is
    /// a Float [1] buffer so that it lives in the arena and torchvision / RAVEn state dicts load
    /// name-for-name (exact up to 2²⁴ steps).
    public let numBatchesTracked: Parameter
    public let momentum: Float
    public let eps: Float

    /// PyTorch's defaults: eps 1e-5, momentum 0.1, affine weight 1 and bias 0 (role `.norm`, so
    /// never weight-decayed), running mean 0 and variance 1 (buffers, never trained).
    public init(_ b: ParameterBuilder, channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        weight = affine ? b.parameter("weight", shape: [channels], .ones, role: .norm) : nil
        bias = affine ? b.parameter("bias", shape: [channels], .zeros, role: .norm) : nil
        runningMean = b.parameter("running_mean", shape: [channels], .zeros, role: .buffer)
        runningVar = b.parameter("running_var", shape: [channels], .ones, role: .buffer)
        // A 0-d tensor, as PyTorch keeps it, so torchvision and RAVEn state dicts load strictly.
        numBatchesTracked = b.parameter("num_batches_tracked", shape: [], .zeros, role: .buffer)
        self.momentum = momentum
        self.eps = eps
    }

    public var channels: Int { runningMean.shape[0] }

    /// Training: batch statistics normalise, and the running ones (in the store's arena) move by
    /// `momentum` towards them. Evaluation: the running statistics normalise.
    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        let y = batchNorm(x, weight: weight?.value, bias: bias?.value, runningMean: runningMean.value,
                          runningVar: runningVar.value, training: context.isTraining, momentum: momentum, eps: eps)
        if context.isTraining { numBatchesTracked.value.pointer[0] += 1 }
        return y
    }
}
