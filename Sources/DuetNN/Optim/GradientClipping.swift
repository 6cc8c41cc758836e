// Gradient clipping by global norm over the gradient arena (trainable parameters only), as
// torch.nn.utils.clip_grad_norm_ does it; the norm is reported so a trainer can log or skip.
import DuetTensor

extension ParameterStore {
    /// √(Σ g²) over the gradients of the trainable parameters: SIMD16 partial sums over blocks of
    /// the arena, added in Double.
    public func gradientNorm() -> Float {
        guard let gradients else { return 0 }
        let spans = ArenaSpans(parameters) { $0.isTrainable ? true : nil }
        let block = 1 << 14
        let blocks = (spans.total + block - 1) / block
        var partial = [Double](repeating: 0, count: blocks)
        let g = gradients.pointer
        partial.withUnsafeMutableBufferPointer { partial in
            let sums = partial.baseAddress!
            parallelFor(blocks) { range in
                for b in range {
                    var s = 0.0
                    spans.forEach(work: (b * block)..<min((b + 1) * block, spans.total)) { _, r in
                        s += Double(sumSquaresContiguous(g + r.lowerBound, r.count))
                    }
                    sums[b] = s
                }
            }
        }
        return Float(partial.reduce(0, +).squareRoot())
    }

    /// Scales the trainable gradients by maxNorm / (norm + 1e-6) when that is below 1, and returns
    /// the norm before clipping. A norm that is not finite is returned with the gradients left as
    /// they are: the caller decides (a trainer skips the step).
    @discardableResult
    public func clipGradientNorm(maxNorm: Float) -> Float {
        let norm = gradientNorm()
        guard norm.isFinite, let gradients else { return norm }
        let scale = maxNorm / (norm + 1e-6)
        guard scale < 1 else { return norm }
        let g = gradients.pointer
        ArenaSpans(parameters) { $0.isTrainable ? true : nil }.parallelForEach { _, r in
            for i in r { g[i] *= scale }
        }
        return norm
    }
}
