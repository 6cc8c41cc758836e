// Finite-difference gradient check of a whole module (DuetTensorTests' GradCheck approach): the
// store's trainable parameters and the inputs are perturbed in place, the loss summed in Double.
import Testing
import DuetTensor
import DuetNN

/// Checks d/dθ of Σ w ⊙ f() for every trainable parameter of `store` (finalised) and every input,
/// with `w` a fixed random weighting. Gradients are read from the store's arena, so `f` is the
/// module's forward pass over the store's parameters and `inputs`.
func checkModuleGradients(store: ParameterStore, inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-2,
                          sourceLocation: SourceLocation = #_sourceLocation, _ f: () -> Tensor) {
    let probe = noGrad { f() }
    let w = Tensor.randomNormal(probe.shape, stream: RandomStream(seed: 17))
    func loss() -> Double {
        noGrad {
            let y = f()
            return (0..<y.count).reduce(0.0) { $0 + Double(y.pointer[$1]) * Double(w.pointer[$1]) }
        }
    }
    store.zeroGradients()
    for x in inputs { x.grad = nil }
    (f() * w).sum().backward()
    let checked = store.parameters.filter(\.isTrainable).map { ($0.name, $0.value, $0.gradient) }
        + inputs.enumerated().map { ("input \($0.offset)", $0.element, $0.element.grad) }
    for (name, value, analytic) in checked {
        guard let analytic else {
            Issue.record("\(name) got no gradient", sourceLocation: sourceLocation)
            continue
        }
        let numeric = (0..<value.count).map { centralDifference(value, $0, eps: eps, loss) }
        let worst = zip(numeric, analytic.scalars).map { abs($0 - Double($1)) }.max() ?? 0
        let scale = max(1e-3, numeric.map(abs).max() ?? 0)
        #expect(worst / scale < tolerance, "\(name): max |analytic − numeric| = \(worst), scale \(scale)",
                sourceLocation: sourceLocation)
    }
}

/// (loss(v + eps) − loss(v − eps)) / 2eps along element `i` of `value`, which is restored.
private func centralDifference(_ value: Tensor, _ i: Int, eps: Float, _ loss: () -> Double) -> Double {
    let keep = value.pointer[i]
    defer { value.pointer[i] = keep }
    value.pointer[i] = keep + eps
    let up = loss()
    value.pointer[i] = keep - eps
    return (up - loss()) / (2 * Double(eps))
}
