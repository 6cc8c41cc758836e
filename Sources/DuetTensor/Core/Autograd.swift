// Reverse-mode autodiff: each differentiable op records a node (its inputs and a backward rule
// holding only what the rule needs); backward() walks the graph once in reverse topological order.

/// One recorded op: the inputs it read and the rule that maps the output's gradient to theirs.
final class GradNode {
    let name: String
    /// Which op family the profiler charges this rule's time to.
    let family: OpFamily
    let inputs: [Tensor]
    /// Returns one gradient per input (nil where an input needs none). Runs with gradients off.
    let rule: (Tensor) -> [Tensor?]

    init(name: String, inputs: [Tensor], rule: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        family = OpFamily(opName: name)
        self.inputs = inputs
        self.rule = rule
    }
}

/// Whether ops record the graph; off inside `noGrad { }` (a task-local, not global state).
public enum GradMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording the graph (teachers, evaluation, optimizer updates).
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Whether an op over `inputs` will be recorded: gradients are on and one input wants one.
    /// Ops that keep extra state for their backward (attention's probabilities) ask before.
    static func willRecord(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad })
    }

    /// Records `rule` as the way back from `self` to `inputs`, when gradients are on and wanted.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], rule: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard Tensor.willRecord(inputs) else { return self }
        requiresGrad = true
        node = GradNode(name: name, inputs: inputs, rule: rule)
        return self
    }

    /// The same values, cut from the graph.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Whether this tensor was produced by a recorded op (not a leaf).
    public var isLeaf: Bool { node == nil }

    /// Back-propagates from this scalar (or from `self` weighted by `gradient`), adding to the
    /// `grad` of every leaf that requires one. The graph is freed as it is consumed.
    public func backward(_ gradient: Tensor? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not require gradients")
        let seed: Tensor
        if let gradient {
            precondition(gradient.shape == shape, "gradient shape \(gradient.shape) != \(shape)")
            seed = gradient
        } else {
            precondition(count == 1, "backward() without a gradient needs a scalar, shape is \(shape)")
            seed = Tensor.full(shape, 1)
        }
        var order: [Tensor?] = topologicalOrder()
        let reachesSelf = order.contains { $0 === self }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        noGrad {
            for i in order.indices.reversed() {
                // Let go of each tensor once its rule has run, so activations are freed as soon
                // as backward has consumed them rather than when the whole pass ends.
                guard let t = order[i] else { continue }
                order[i] = nil
                guard let node = t.node else { continue }
                guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
                let inputGrads = profiled(node.family) { node.rule(g) }
                precondition(inputGrads.count == node.inputs.count, "\(node.name): rule returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
                for (input, ig) in zip(node.inputs, inputGrads) {
                    guard input.requiresGrad, let ig else { continue }
                    precondition(ig.shape == input.shape, "\(node.name): gradient shape \(ig.shape) for input \(input.shape)")
                    if input.node == nil {
                        input.accumulateGrad(ig)
                    } else if let existing = grads[ObjectIdentifier(input)] {
                        // Out of place: a rule may hand the same buffer to several inputs.
                        grads[ObjectIdentifier(input)] = existing + ig
                    } else {
                        grads[ObjectIdentifier(input)] = ig
                    }
                }
                t.node = nil
            }
        }
        if node == nil && !reachesSelf { accumulateGrad(seed) }
    }

    /// Adds `g` to this leaf's gradient (in place when one exists: it may live in an arena).
    func accumulateGrad(_ g: Tensor) {
        if let grad {
            grad.addInPlace(g)
        } else {
            grad = g.copy()
        }
    }

    /// Non-leaf tensors reachable from self, inputs before the ops that read them.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative DFS: deep graphs (a 12-block ViT) must not overflow the stack.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            guard let node = t.node, visited.insert(ObjectIdentifier(t)).inserted else { continue }
            stack.append((t, true))
            for input in node.inputs where input.node != nil && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
