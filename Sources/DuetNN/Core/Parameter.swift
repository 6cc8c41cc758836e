// A named parameter of a model: its PyTorch state-dict name, its role (which decides weight
// decay), and its value, a window into the store's arena once the store is finalised.
import DuetTensor

/// What a parameter is for; decides its optimizer group (MAE and timm decay only matrices and
/// kernels: never biases, norms, position embeddings, class or mask tokens).
public enum ParameterRole: Sendable, Equatable {
    case weight, bias, norm, positionEmbedding, token
    /// State that is saved and loaded but never trained (BatchNorm running statistics).
    case buffer

    public var decays: Bool { self == .weight }
}

public final class Parameter: @unchecked Sendable {
    /// The dotted name, identical to the PyTorch / timm state-dict key.
    public let name: String
    public let shape: [Int]
    public let role: ParameterRole
    /// The values; a window into the store's value arena after `ParameterStore.finalize()`.
    public internal(set) var value: Tensor
    /// Offset of the first element in the arenas, once finalised.
    public internal(set) var offset: Int = -1

    /// Whether the optimizer updates it (and backward computes its gradient).
    public var isTrainable: Bool {
        didSet { value.requiringGrad(isTrainable) }
    }

    /// The gradient accumulated by backward: a window into the gradient arena once finalised.
    public var gradient: Tensor? { value.grad }

    public var count: Int { value.count }

    init(name: String, value: Tensor, role: ParameterRole, trainable: Bool) {
        self.name = name
        self.shape = value.shape
        self.role = role
        self.value = value
        self.isTrainable = trainable && role != .buffer
        value.requiringGrad(isTrainable)
    }
}
