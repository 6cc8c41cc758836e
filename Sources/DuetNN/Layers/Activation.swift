// The per-channel nonlinearities the ResNet front-ends choose between (Auto-AVSR / RAVEn's
// `relu_type`): ReLU, Swish (SiLU) and PReLU, whose slopes are a parameter `weight` [C].
import DuetTensor

public enum ActivationKind: Sendable, Equatable {
    case relu
    /// x·σ(x), espnet's `Swish`, PyTorch's SiLU.
    case swish
    /// nn.PReLU(num_parameters=C): max(0, x) + a_c·min(0, x), slopes initialised to 0.25.
    case prelu
}

public struct Activation: Sendable {
    public let kind: ActivationKind
    /// PReLU's slopes; nil for the kinds without parameters.
    public let weight: Parameter?

    /// The slopes are 1-D, so they take role `.norm`: never weight-decayed, as timm and MAE
    /// exclude every 1-D parameter from decay.
    public init(_ b: ParameterBuilder, _ kind: ActivationKind, channels: Int) {
        self.kind = kind
        weight = kind == .prelu ? b.parameter("weight", shape: [channels], .constant(0.25), role: .norm) : nil
    }

    /// x is [B, C, …].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch kind {
        case .relu: return x.relu()
        case .swish: return x.silu()
        case .prelu:
            let slopes = weight!.value.reshaped([x.shape[1]] + Array(repeating: 1, count: x.rank - 2))
            return x.relu() - (-x).relu() * slopes
        }
    }
}
