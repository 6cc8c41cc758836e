// AdamW with decoupled weight decay, exactly as torch.optim.AdamW computes it, as one fused loop
// over the value, gradient and moment arenas.
import DuetTensor
import Foundation

/// torch.optim.AdamW (amsgrad off), per parameter with `lr = learningRate × lrScale`:
///
///     p ← p·(1 − lr·wd)                       (only where role.decays)
///     m ← m + (1 − β1)(g − m),  v ← β2·v + (1 − β2)·g²
///     p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
///
/// State kinds: `exp_avg` (m) and `exp_avg_sq` (v), see `Optimizer`.
public final class AdamW: Optimizer, @unchecked Sendable {
    public let beta1: Float
    public let beta2: Float
    public let eps: Float
    public let weightDecay: Float
    private var core: OptimizerCore

    /// PyTorch's defaults. `lrScales` maps parameter names to learning-rate scales (1 when absent).
    public init(_ store: ParameterStore, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0.01, lrScales: [String: Float] = [:]) throws(OptimizerError) {
        let below1 = 0...Float(1).nextDown
        try OptimizerError.check("beta1", beta1, in: below1, expected: "0 ≤ beta1 < 1")
        try OptimizerError.check("beta2", beta2, in: below1, expected: "0 ≤ beta2 < 1")
        try OptimizerError.check("eps", eps, in: 0...Float.greatestFiniteMagnitude, expected: "a finite eps ≥ 0")
        try OptimizerError.check("weight decay", weightDecay, in: 0...Float.greatestFiniteMagnitude, expected: "a finite value ≥ 0")
        (self.beta1, self.beta2, self.eps, self.weightDecay) = (beta1, beta2, eps, weightDecay)
        core = try OptimizerCore("AdamW", store: store, lrScales: lrScales, stateKinds: ["exp_avg", "exp_avg_sq"])
    }

    public var store: ParameterStore { core.store }
    public var stepCount: Int { core.stepCount }
    /// The first-moment arena (m), laid out as the store's value arena.
    public var expAvg: Tensor { core.arenas[0].arena }
    /// The second-moment arena (v).
    public var expAvgSq: Tensor { core.arenas[1].arena }
    public var state: [String: Tensor] { core.state }

    public func load(state: [String: Tensor], stepCount: Int) throws(OptimizerError) {
        try core.load("AdamW state", state: state, stepCount: stepCount)
    }

    public func step(learningRate: Float) {
        profiled(.optimizer) {
            let (spans, values, gradients) = core.prepareStep()
            let m = expAvg.pointer, v = expAvgSq.pointer
            // Bias corrections in Double, as Python computes them, then rounded once; the second is a
            // factor rather than torch's divisor (one division per element fewer, within an ulp).
            let t = Double(stepCount)
            let correction1 = 1 - pow(Double(beta1), t)
            let inverseCorrection2Root = Float(1 / (1 - pow(Double(beta2), t)).squareRoot())
            let (beta1, beta2, eps, weightDecay) = (beta1, beta2, eps, weightDecay)
            spans.parallelForEach { rule, range in
                let lr = learningRate * rule.lrScale
                adamwKernel(values + range.lowerBound, gradients + range.lowerBound, m + range.lowerBound, v + range.lowerBound,
                            range.count, decay: rule.decays ? 1 - lr * weightDecay : 1, stepSize: Float(Double(lr) / correction1),
                            beta1: beta1, beta2: beta2, inverseCorrection2Root: inverseCorrection2Root, eps: eps)
            }
        }
    }
}

@inline(__always)
private func adamwKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                         _ v: UnsafeMutablePointer<Float>, _ n: Int, decay: Float, stepSize: Float, beta1: Float,
                         beta2: Float, inverseCorrection2Root: Float, eps: Float) {
    let (oneMinusBeta1, oneMinusBeta2) = (1 - beta1, 1 - beta2)
    for i in 0..<n {
        let gi = g[i]
        let mi = m[i] + oneMinusBeta1 * (gi - m[i])
        let vi = beta2 * v[i] + oneMinusBeta2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = p[i] * decay - stepSize * (mi / (vectorizableSquareRoot(vi) * inverseCorrection2Root + eps))
    }
}

/// √x within 2 ulp for normal x ≥ 0 (0 for 0): the bit-level reciprocal-root guess and three
/// Newton steps. `squareRoot()` lowers to libm's sqrtf on Linux (errno), which keeps the AdamW
/// loop scalar and 5× slower than memory; this form vectorises.
@inline(__always)
func vectorizableSquareRoot(_ x: Float) -> Float {
    var y = Float(bitPattern: 0x5F37_5A86 &- (x.bitPattern &>> 1))
    let half = 0.5 * x
    y = y * (1.5 - half * y * y)
    y = y * (1.5 - half * y * y)
    y = y * (1.5 - half * y * y)
    return x * y
}
