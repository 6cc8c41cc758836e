// The parameter store: every parameter of a model in one contiguous value arena and every
// gradient in a second, so that zeroing, clipping, AdamW and EMA are each one loop over a buffer.
import DuetTensor

public final class ParameterStore: @unchecked Sendable {
    public private(set) var parameters: [Parameter] = []
    private var byName: [String: Parameter] = [:]
    /// The value arena and the gradient arena (nil until `finalize()`).
    public private(set) var values: Tensor?
    public private(set) var gradients: Tensor?

    /// The seed every initialiser of this store draws from (with the parameter's name).
    public let seed: UInt64

    public init(seed: UInt64 = 0) {
        self.seed = seed
    }

    /// A builder at the root scope.
    public var builder: ParameterBuilder { ParameterBuilder(store: self, prefix: "") }

    public var isFinalized: Bool { values != nil }

    /// Total number of scalars over all parameters (buffers included).
    public var scalarCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Trainable scalars only.
    public var trainableScalarCount: Int { parameters.filter(\.isTrainable).reduce(0) { $0 + $1.count } }

    public subscript(name: String) -> Parameter? { byName[name] }

    public var names: [String] { parameters.map(\.name) }

    func register(_ name: String, value: Tensor, role: ParameterRole, trainable: Bool) -> Parameter {
        precondition(!isFinalized, "parameter \(name) registered after the store was finalised")
        precondition(byName[name] == nil, "parameter \(name) registered twice")
        let p = Parameter(name: name, value: value, role: role, trainable: trainable)
        parameters.append(p)
        byName[name] = p
        return p
    }

    /// Moves every parameter into the value arena and gives each a gradient window in the
    /// gradient arena (zeroed). Call once, after the model is built.
    public func finalize() {
        precondition(!isFinalized, "store finalised twice")
        let total = scalarCount
        let valueArena = Tensor(uninitializedShape: [total])
        let gradArena = Tensor.zeros([total])
        var offset = 0
        for p in parameters {
            (valueArena.pointer + offset).update(from: p.value.pointer, count: p.count)
            let window = Tensor(shape: p.shape, storage: Storage(window: valueArena.storage, offset: offset, count: p.count),
                                requiresGrad: p.isTrainable)
            window.grad = Tensor(shape: p.shape, storage: Storage(window: gradArena.storage, offset: offset, count: p.count))
            p.value = window
            p.offset = offset
            offset += p.count
        }
        values = valueArena
        gradients = gradArena
    }

    /// Sets every gradient to zero: one memset over the gradient arena.
    public func zeroGradients() {
        profiled(.optimizer) {
            gradients?.fill(0)
        }
    }

    /// Parameters whose name starts with `prefix` (a sub-module).
    public func parameters(under prefix: String) -> [Parameter] {
        parameters.filter { $0.name == prefix || $0.name.hasPrefix(prefix + ".") }
    }

    /// Freezes or unfreezes every parameter under `prefix` (all when nil). Buffers stay frozen.
    public func setTrainable(_ trainable: Bool, under prefix: String? = nil) {
        for p in prefix.map({ parameters(under: $0) }) ?? parameters where p.role != .buffer {
            p.isTrainable = trainable
        }
    }

    /// Copies every value from `other` (same names, same layout): the start of an EMA teacher.
    public func copyValues(from other: ParameterStore) {
        precondition(isFinalized && other.isFinalized && names == other.names, "stores differ")
        values!.pointer.update(from: other.values!.pointer, count: values!.count)
    }
}
