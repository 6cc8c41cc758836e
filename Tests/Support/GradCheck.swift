// Shared by every test target (module DuetTestSupport).
// Finite-difference gradient checks: central differences with the loss summed in Double,
// compared with the gradients backward() accumulates.
import Testing
import DuetTensor

/// Checks d/dx of Σ w ⊙ f(inputs) for every input that requires a gradient.
/// `w` is a fixed random weighting, so every output element's gradient is exercised.
public func checkGradients(
    _ inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-2,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ f: ([Tensor]) -> Tensor
) {
    let probe = noGrad { f(inputs) }
    let w = Tensor.randomNormal(probe.shape, stream: RandomStream(seed: 99, stream: UInt64(probe.count)))
    for x in inputs { x.grad = nil }
    (f(inputs) * w).sum().backward()
    let checked = inputs.enumerated().filter { $0.element.requiresGrad }.map { ("input \($0.offset)", $0.element, $0.element.grad) }
    expectCentralDifferences(checked, eps: eps, tolerance: tolerance, sourceLocation: sourceLocation) {
        weightedSum(noGrad { f(inputs) }, w)
    }
}

/// For each (name, value, analytic gradient): perturbs `value` in place element by element and
/// expects the central difference of `loss` to match the analytic gradient, relative to the
/// largest numeric gradient (at least 1e-3).
public func expectCentralDifferences(_ checked: [(name: String, value: Tensor, analytic: Tensor?)], eps: Float, tolerance: Double,
                                     sourceLocation: SourceLocation, loss: () -> Double) {
    for (name, value, analytic) in checked {
        guard let analytic else {
            Issue.record("\(name) got no gradient", sourceLocation: sourceLocation)
            continue
        }
        var worst = 0.0, scale = 1e-3
        for i in 0..<value.count {
            let keep = value.pointer[i]
            value.pointer[i] = keep + eps
            let up = loss()
            value.pointer[i] = keep - eps
            let down = loss()
            value.pointer[i] = keep
            let numeric = (up - down) / (2 * Double(eps))
            worst = max(worst, abs(numeric - Double(analytic.pointer[i])))
            scale = max(scale, abs(numeric))
        }
        #expect(worst / scale < tolerance, "\(name): max |analytic - numeric| = \(worst), scale \(scale)", sourceLocation: sourceLocation)
    }
}

/// Σ y ⊙ w in Double.
public func weightedSum(_ y: Tensor, _ w: Tensor) -> Double {
    var s = 0.0
    for i in 0..<y.count { s += Double(y.pointer[i]) * Double(w.pointer[i]) }
    return s
}

/// A random input away from the origin's kinks, seeded by `seed`.
public func randomInput(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = true) -> Tensor {
    Tensor.randomNormal(shape, std: scale, stream: RandomStream(seed: seed)).requiringGrad(requiresGrad)
}
