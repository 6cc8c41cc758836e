// The builder that hands out named parameters (candle's VarBuilder idea): a layer asks its scope
// for "weight" and gets `blocks.3.attn.qkv.weight`.
import DuetTensor

public struct ParameterBuilder {
    public let store: ParameterStore
    /// The dotted prefix of this scope ("" at the root).
    public let prefix: String

    /// The scope one level down: `builder.scope("blocks").scope(3)`.
    public func scope(_ name: String) -> ParameterBuilder {
        ParameterBuilder(store: store, prefix: path(name))
    }

    public func scope(_ index: Int) -> ParameterBuilder { scope(String(index)) }

    /// The full name of `name` in this scope.
    public func path(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    /// A new parameter named `name` in this scope with the initial value `initial`.
    public func parameter(_ name: String, _ initial: Tensor, role: ParameterRole, trainable: Bool = true) -> Parameter {
        store.register(path(name), value: initial, role: role, trainable: trainable)
    }

    /// A random stream unique to this scope's name, for initialisers: a model built twice with the
    /// same seed gets the same weights, whatever order its layers are built in.
    public func stream(_ name: String) -> RandomStream {
        RandomStream(seed: store.seed).derived(stableHash(path(name)))
    }

    /// A new parameter of `shape` initialised by `initializer` (drawn from this name's stream).
    public func parameter(_ name: String, shape: [Int], _ initializer: Initializer, role: ParameterRole,
                          trainable: Bool = true) -> Parameter {
        parameter(name, initializer.make(shape, stream: stream(name)), role: role, trainable: trainable)
    }
}
