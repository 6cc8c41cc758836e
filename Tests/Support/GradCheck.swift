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
    func loss() -> Double {
        noGrad {
            let y = f(inputs)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.pointer[i]) * Double(w.pointer[i]) }
            return s
        }
    }
    for x in inputs { x.grad = nil }
    let y = f(inputs)
    (y * w).sum().backward()
    for (k, x) in inputs.enumerated() where x.requiresGrad {
        guard let analytic = x.grad else {
            Issue.record("input \(k) got no gradient", sourceLocation: sourceLocation)
            continue
        }
        var worst = 0.0, scale = 1e-3
        for i in 0..<x.count {
            let keep = x.pointer[i]
            x.pointer[i] = keep + eps
            let up = loss()
            x.pointer[i] = keep - eps
            let down = loss()
            x.pointer[i] = keep
            let numeric = (up - down) / (2 * Double(eps))
            worst = max(worst, abs(numeric - Double(analytic.pointer[i])))
            scale = max(scale, abs(numeric))
        }
        #expect(worst / scale < tolerance, "input \(k): max |analytic - numeric| = \(worst), scale \(scale)", sourceLocation: sourceLocation)
    }
}

/// A random input away from the origin's kinks, seeded by `seed`.
public func randomInput(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = true) -> Tensor {
    Tensor.randomNormal(shape, std: scale, stream: RandomStream(seed: seed)).requiringGrad(requiresGrad)
}
