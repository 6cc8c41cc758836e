// SGD with momentum as torch.optim.SGD computes it (dampening 0), one fused loop over the arenas.
import DuetTensor

/// torch.optim.SGD with dampening 0, per parameter with `lr = learningRate × lrScale`:
///
///     d ← g + wd·p                            (the decay term only where role.decays)
///     b ← μ·b + d;  d ← nesterov ? d + μ·b : b   (when μ > 0)
///     p ← p − lr·d
///
/// State kind: `momentum_buffer` (b), only when μ > 0; see `Optimizer`.
public final class SGD: Optimizer, @unchecked Sendable {
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private var core: OptimizerCore

    public init(_ store: ParameterStore, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0,
                lrScales: [String: Float] = [:]) throws(OptimizerError) {
        try OptimizerError.check("momentum", momentum, in: 0...Float.greatestFiniteMagnitude, expected: "a finite momentum ≥ 0")
        try OptimizerError.check("weight decay", weightDecay, in: 0...Float.greatestFiniteMagnitude, expected: "a finite value ≥ 0")
        if nesterov && momentum == 0 {
            throw .invalidHyperParameter(name: "momentum", value: 0, expected: "momentum > 0 with Nesterov")
        }
        (self.momentum, self.nesterov, self.weightDecay) = (momentum, nesterov, weightDecay)
        core = try OptimizerCore("SGD", store: store, lrScales: lrScales, stateKinds: momentum > 0 ? ["momentum_buffer"] : [])
    }

    public var store: ParameterStore { core.store }
    public var stepCount: Int { core.stepCount }
    /// The momentum arena (b), laid out as the store's value arena; nil without momentum.
    public var momentumBuffer: Tensor? { core.arenas.first?.arena }
    public var state: [String: Tensor] { core.state }

    public func load(state: [String: Tensor], stepCount: Int) throws(OptimizerError) {
        try core.load("SGD state", state: state, stepCount: stepCount)
    }

    public func step(learningRate: Float) {
        profiled(.optimizer) {
            let (spans, values, gradients) = core.prepareStep()
            let buffer = momentumBuffer?.pointer
            let (mu, nesterov, weightDecay) = (momentum, nesterov, weightDecay)
            spans.parallelForEach { rule, range in
                let lr = learningRate * rule.lrScale, wd = rule.decays ? weightDecay : 0
                let p = values + range.lowerBound, g = gradients + range.lowerBound
                guard let b = buffer.map({ $0 + range.lowerBound }) else {
                    for i in 0..<range.count { p[i] -= lr * (g[i] + wd * p[i]) }
                    return
                }
                if nesterov {
                    for i in 0..<range.count {
                        let d = g[i] + wd * p[i], bi = mu * b[i] + d
                        b[i] = bi
                        p[i] -= lr * (d + mu * bi)
                    }
                } else {
                    for i in 0..<range.count {
                        let bi = mu * b[i] + (g[i] + wd * p[i])
                        b[i] = bi
                        p[i] -= lr * bi
                    }
                }
            }
        }
    }
}
