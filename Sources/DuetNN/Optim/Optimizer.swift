// What AdamW and SGD share: the protocol a trainer drives, the parameter groups (learning-rate
// scale, weight decay or not) as spans of the arena, and the state arenas saved with a checkpoint.
import DuetTensor

/// An optimizer over a finalised `ParameterStore`: one fused loop over the arenas per step.
///
/// Groups, as MAE and timm make them: weight decay applies only where `role.decays` (matrices and
/// kernels; never biases, norms, position embeddings or tokens), and each parameter's learning rate
/// is `learningRate × lrScale` (1 unless given, see `LayerwiseDecay`). Frozen parameters and
/// buffers are skipped; freezing or unfreezing after the optimizer was made is picked up at the
/// next step.
///
/// State: whole arenas with the store's layout (`values`' offsets), one per kind of state. `state`
/// names a window per trainable parameter `<kind>.<parameter name>` (`exp_avg.blocks.0.attn.qkv.weight`,
/// PyTorch's names for the kinds); `stepCount` is the one step count (the same for every parameter).
public protocol Optimizer: AnyObject {
    var store: ParameterStore { get }
    /// Steps taken so far.
    var stepCount: Int { get }
    /// Updates every trainable parameter from the gradient arena at `learningRate` (times its scale).
    func step(learningRate: Float)
    /// The state of every trainable parameter by name: windows into the state arenas (no copies).
    var state: [String: Tensor] { get }
    /// Copies a saved `state` (every name of `state`, with its shape, and nothing else) and the step count.
    func load(state: [String: Tensor], stepCount: Int) throws(OptimizerError)
}

/// How one span of the arena is updated.
struct UpdateRule: Equatable {
    var lrScale: Float
    var decays: Bool
}

/// The trainable parameters as spans of equal update rules, and the state arenas.
struct OptimizerCore {
    let store: ParameterStore
    private(set) var groups: TrainableSpans<UpdateRule>
    /// Kind name ("exp_avg") and arena ([total], zeros at the start), in order.
    let arenas: [(kind: String, arena: Tensor)]
    var stepCount = 0

    init(_ what: String, store: ParameterStore, lrScales: [String: Float], stateKinds: [String]) throws(OptimizerError) {
        guard let values = store.values else { throw .storeNotFinalized(what) }
        let unknown = lrScales.keys.filter { store[$0] == nil }.sorted()
        guard unknown.isEmpty else { throw .unknownParameters(unknown) }
        for (name, scale) in lrScales.sorted(by: { $0.key < $1.key }) {
            try OptimizerError.check("learning-rate scale of \(name)", scale, in: 0...Float.greatestFiniteMagnitude,
                                     expected: "a finite scale ≥ 0")
        }
        self.store = store
        groups = TrainableSpans(store) { p in
            p.isTrainable ? UpdateRule(lrScale: lrScales[p.name] ?? 1, decays: p.role.decays) : nil
        }
        arenas = stateKinds.map { ($0, Tensor.zeros([values.count])) }
    }

    /// The spans to update now, and the value and gradient arenas' first elements.
    mutating func prepareStep() -> (ArenaSpans<UpdateRule>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        stepCount += 1
        return (groups.current(), store.values!.pointer, store.gradients!.pointer)
    }

    var state: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for p in store.parameters where p.isTrainable {
            for (kind, arena) in arenas {
                out[kind + "." + p.name] = Tensor(shape: p.shape, storage: Storage(window: arena.storage, offset: p.offset, count: p.count))
            }
        }
        return out
    }

    mutating func load(_ what: String, state saved: [String: Tensor], stepCount: Int) throws(OptimizerError) {
        let windows = state
        let expected = windows.map { (name: $0.key, shape: $0.value.shape) }.sorted { $0.name < $1.name }
        let actual = saved.map { (name: $0.key, shape: $0.value.shape) }.sorted { $0.name < $1.name }
        try OptimizerError.checkLayout(what, expected: expected, actual: actual)
        guard stepCount >= 0 else { throw .invalidHyperParameter(name: "step count", value: Double(stepCount), expected: "≥ 0") }
        for (name, window) in windows { window.pointer.update(from: saved[name]!.pointer, count: window.count) }
        self.stepCount = stepCount
    }
}
