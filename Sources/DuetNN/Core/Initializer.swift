// Initialisers as PyTorch, timm and MAE apply them: truncated normal (std 0.02), Xavier uniform
// for Linear (MAE), Kaiming for convolutions, constants where PyTorch puts them.
import DuetTensor

public enum Initializer: Sendable {
    case zeros, ones
    case constant(Float)
    case normal(std: Float)
    /// timm's trunc_normal_(std=std, a=-2, b=2) (absolute bounds, as timm calls it).
    case truncatedNormal(std: Float)
    /// xavier_uniform_: U(±√(6/(fan_in + fan_out))), fans over [out, in, kernel…].
    case xavierUniform
    /// PyTorch's default for Linear and Conv: kaiming_uniform_(a=√5), i.e. U(±1/√fan_in).
    case kaimingUniformDefault
    /// kaiming_normal_(mode="fan_out", nonlinearity="relu") as torchvision's ResNet uses.
    case kaimingNormalFanOut
    /// PyTorch's default bias of a Linear or Conv with the given fan-in: U(±1/√fan_in).
    case biasUniform(fanIn: Int)

    /// fan_in and fan_out of a weight [out, in, kernel…] (PyTorch's _calculate_fan_in_and_fan_out).
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { return (shape.first ?? 1, shape.first ?? 1) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    public func make(_ shape: [Int], stream: RandomStream) -> Tensor {
        let (fanIn, fanOut) = Self.fans(shape)
        switch self {
        case .zeros: return Tensor.zeros(shape)
        case .ones: return Tensor.ones(shape)
        case .constant(let v): return Tensor.full(shape, v)
        case .normal(let std): return Tensor.randomNormal(shape, std: std, stream: stream)
        case .truncatedNormal(let std): return Tensor.randomTruncatedNormal(shape, std: std, stream: stream)
        case .xavierUniform:
            let bound = (6 / Float(fanIn + fanOut)).squareRoot()
            return Tensor.randomUniform(shape, low: -bound, high: bound, stream: stream)
        case .kaimingUniformDefault:
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            return Tensor.randomUniform(shape, low: -bound, high: bound, stream: stream)
        case .kaimingNormalFanOut:
            return Tensor.randomNormal(shape, std: (2 / Float(max(fanOut, 1))).squareRoot(), stream: stream)
        case .biasUniform(let fanIn):
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            return Tensor.randomUniform(shape, low: -bound, high: bound, stream: stream)
        }
    }
}
