// Shared by every test target (module DuetTestSupport).
// Finite-difference gradient check of a whole module: the store's trainable parameters and the
// inputs are perturbed in place, the loss summed in Double.
import Testing
import DuetTensor
import DuetNN

/// Checks d/dθ of Σ w ⊙ f() for every trainable parameter of `store` (finalised) and every input,
/// with `w` a fixed random weighting. Gradients are read from the store's arena, so `f` is the
/// module's forward pass over the store's parameters and `inputs`. (`checkGradients` cannot
/// serve: it clears its inputs' `grad`, which would cut the windows into the gradient arena.)
public func checkModuleGradients(store: ParameterStore, inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-2,
                                 sourceLocation: SourceLocation = #_sourceLocation, _ f: () -> Tensor) {
    let probe = noGrad { f() }
    let w = Tensor.randomNormal(probe.shape, stream: RandomStream(seed: 17))
    store.zeroGradients()
    for x in inputs { x.grad = nil }
    (f() * w).sum().backward()
    let checked = store.parameters.filter(\.isTrainable).map { ($0.name, $0.value, $0.gradient) }
        + inputs.enumerated().map { ("input \($0.offset)", $0.element, $0.element.grad) }
    expectCentralDifferences(checked, eps: eps, tolerance: tolerance, sourceLocation: sourceLocation) {
        weightedSum(noGrad { f() }, w)
    }
}
