// Linear (`weight` [out, in], `bias` [out]) and LayerNorm (`weight`, `bias`), named as PyTorch.
import DuetTensor

public struct Linear: Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let path: String

    /// `initializer` defaults to Xavier uniform with zero bias, as MAE initialises its Linears;
    /// pass `.truncatedNormal(std: 0.02)` for timm's ViT initialisation.
    public init(_ b: ParameterBuilder, inFeatures: Int, outFeatures: Int, bias: Bool = true,
                initializer: Initializer = .xavierUniform, biasInitializer: Initializer = .zeros) {
        weight = b.parameter("weight", shape: [outFeatures, inFeatures], initializer, role: .weight)
        self.bias = bias ? b.parameter("bias", shape: [outFeatures], biasInitializer, role: .bias) : nil
        path = b.prefix
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor, activation: LinearActivation = .none) -> Tensor {
        Tensor.linear(x, weight: weight.value, bias: bias?.value, activation: activation)
    }
}

public struct LayerNorm: Sendable {
    public let weight: Parameter?
    public let bias: Parameter?
    public let eps: Float

    /// timm's ViTs use eps 1e-6; PyTorch's default is 1e-5.
    public init(_ b: ParameterBuilder, dim: Int, eps: Float = 1e-6, affine: Bool = true) {
        weight = affine ? b.parameter("weight", shape: [dim], .ones, role: .norm) : nil
        bias = affine ? b.parameter("bias", shape: [dim], .zeros, role: .norm) : nil
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight?.value, bias: bias?.value, eps: eps)
    }
}
