// Unary functions with their gradients: exp, log, sqrt, pow, abs, clamp, tanh, sigmoid, relu,
// silu and gelu (exact erf form and tanh form).

/// Which GELU: the exact erf form (timm, BERT) or the tanh approximation (GPT-2).
public enum GELUApproximation: Sendable { case none, tanh }

extension Tensor {
    /// f applied per element, recorded for autograd.
    public func apply(_ f: UnaryFunction) -> Tensor {
        profiled(f == .geluErf || f == .geluTanh ? .gelu : .elementwise) {
            let out = Tensor(uninitializedShape: shape)
            unaryForward(f, pointer, out.pointer, count)
            // The rule keeps the output's storage, not the output: the output holds the rule.
            let y = out.storage
            return out.recorded("\(f)", [self]) { [self] g in
                let gx = Tensor(uninitializedShape: shape)
                unaryBackward(f, pointer, y.pointer, g.pointer, gx.pointer, count)
                return [gx]
            }
        }
    }

    public func exp() -> Tensor { apply(.exp) }
    public func log() -> Tensor { apply(.log) }
    public func sqrt() -> Tensor { apply(.sqrt) }
    public func abs() -> Tensor { apply(.abs) }
    public func tanh() -> Tensor { apply(.tanh) }
    public func sigmoid() -> Tensor { apply(.sigmoid) }
    public func relu() -> Tensor { apply(.relu) }
    public func silu() -> Tensor { apply(.silu) }
    public func pow(_ exponent: Float) -> Tensor { apply(.pow(exponent)) }
    public func clamped(min lo: Float = -.infinity, max hi: Float = .infinity) -> Tensor { apply(.clamp(lo, hi)) }
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        apply(approximate == .none ? .geluErf : .geluTanh)
    }
}
