// Convolution layers named as PyTorch names them (`weight` [out, in/groups, k…], optional `bias`):
// one N-d `Convolution` that the rank-generic ResNet blocks use, and `Conv1d`, `Conv2d`, `Conv3d`.
import DuetTensor

/// An N-d convolution (N = kernel.count, 1 to 3), dilation 1.
public struct Convolution: Sendable {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: [Int]
    public let padding: [Int]
    public let groups: Int

    /// The initialisers default to PyTorch's own for `nn.ConvNd`: kaiming_uniform_(a=√5) for the
    /// weight and U(±1/√fan_in) for the bias; torchvision's ResNet passes `.kaimingNormalFanOut`.
    public init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, kernel: [Int], stride: [Int]? = nil,
                padding: [Int]? = nil, groups: Int = 1, bias: Bool = true,
                initializer: Initializer = .kaimingUniformDefault, biasInitializer: Initializer? = nil) {
        precondition((1...3).contains(kernel.count), "convolution kernel \(kernel) must have 1 to 3 axes")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "convolution \(inChannels) → \(outChannels) channels in \(groups) groups")
        let shape = [outChannels, inChannels / groups] + kernel
        weight = b.parameter("weight", shape: shape, initializer, role: .weight)
        let fanIn = Initializer.fans(shape).fanIn
        self.bias = bias ? b.parameter("bias", shape: [outChannels], biasInitializer ?? .biasUniform(fanIn: fanIn), role: .bias) : nil
        self.stride = stride ?? kernel.map { _ in 1 }
        self.padding = padding ?? kernel.map { _ in 0 }
        self.groups = groups
        precondition(self.stride.count == kernel.count && self.padding.count == kernel.count,
                     "convolution stride \(self.stride) and padding \(self.padding) for kernel \(kernel)")
    }

    public var inChannels: Int { weight.shape[1] * groups }
    public var outChannels: Int { weight.shape[0] }
    public var kernel: [Int] { Array(weight.shape[2...]) }

    /// x is [B, in, spatial…]; the result [B, out, spatial′…] has PyTorch's output size.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        convolution(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, groups: groups)
    }
}

/// What `Conv1d`, `Conv2d` and `Conv3d` share: they differ only in how their init spells sizes.
public protocol ConvolutionLayer: Sendable {
    var core: Convolution { get }
}

extension ConvolutionLayer {
    public var weight: Parameter { core.weight }
    public var bias: Parameter? { core.bias }
    public func callAsFunction(_ x: Tensor) -> Tensor { core(x) }
}

/// `nn.Conv1d`: x [B, C, W].
public struct Conv1d: ConvolutionLayer {
    public let core: Convolution

    public init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                groups: Int = 1, bias: Bool = true, initializer: Initializer = .kaimingUniformDefault) {
        core = Convolution(b, inChannels: inChannels, outChannels: outChannels, kernel: [kernel], stride: [stride],
                           padding: [padding], groups: groups, bias: bias, initializer: initializer)
    }
}

/// `nn.Conv2d`: x [B, C, H, W].
public struct Conv2d: ConvolutionLayer {
    public let core: Convolution

    public init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true,
                initializer: Initializer = .kaimingUniformDefault) {
        core = Convolution(b, inChannels: inChannels, outChannels: outChannels, kernel: [kernel.0, kernel.1],
                           stride: [stride.0, stride.1], padding: [padding.0, padding.1], groups: groups, bias: bias,
                           initializer: initializer)
    }
}

/// `nn.Conv3d`: x [B, C, T, H, W].
public struct Conv3d: ConvolutionLayer {
    public let core: Convolution

    public init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, kernel: (Int, Int, Int),
                stride: (Int, Int, Int) = (1, 1, 1), padding: (Int, Int, Int) = (0, 0, 0), groups: Int = 1,
                bias: Bool = true, initializer: Initializer = .kaimingUniformDefault) {
        core = Convolution(b, inChannels: inChannels, outChannels: outChannels, kernel: [kernel.0, kernel.1, kernel.2],
                           stride: [stride.0, stride.1, stride.2], padding: [padding.0, padding.1, padding.2],
                           groups: groups, bias: bias, initializer: initializer)
    }
}
