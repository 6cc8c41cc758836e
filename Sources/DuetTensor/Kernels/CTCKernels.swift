// CTC kernels, one sample per task: the log-softmax normaliser of each frame, the forward (alpha)
// recursion over the blank-extended label sequence in log space, and in backward the beta
// recursion fused with the gradient, softmax − posterior occupancy of each class.
#if canImport(Glibc)
import Glibc
#endif

/// Where one sample of a CTC batch lives: its frames, its labels in the concatenated targets,
/// and its alpha table (frames × (2·labels + 1)) and beta rows (2 × (2·labels + 1)) in workspaces.
struct CTCSample {
    var frames: Int
    var labelOffset: Int
    var labelCount: Int
    var alphaOffset: Int
    var betaOffset: Int
    /// 2·labels + 1: the labels with a blank before, between and after them.
    var states: Int { 2 * labelCount + 1 }
}

/// The shared description of a CTC batch: logits [frames, batch, classes] and the samples.
struct CTCBatch {
    var logits: UnsafePointer<Float>
    var frames: Int
    var batch: Int
    var classes: Int
    var blank: Int
    var targets: UnsafePointer<Int32>
    var samples: UnsafePointer<CTCSample>
    /// log Σ_c e^{logit} per (frame, sample), at t·batch + b.
    var lse: UnsafeMutablePointer<Float>
    var alpha: UnsafeMutablePointer<Float>
}

/// log(e^a + e^b), exact when one side is −∞ and −∞ when both are.
@inline(__always)
func logAddExp(_ a: Float, _ b: Float) -> Float {
    let (hi, lo) = a > b ? (a, b) : (b, a)
    if hi == -.infinity { return hi }
    return hi + log1pf(fastExp(lo - hi))
}

extension CTCBatch {
    /// The class of extended state s: blank on even states, label (s − 1)/2 on odd ones.
    @inline(__always)
    func stateClass(_ s: Int, _ labels: UnsafePointer<Int32>) -> Int {
        s & 1 == 0 ? blank : Int(labels[s >> 1])
    }

    /// Whether a path may jump from state s to s + 2 (skipping a blank): only between two
    /// different labels.
    @inline(__always)
    func canSkip(from s: Int, _ labels: UnsafePointer<Int32>, _ labelCount: Int) -> Bool {
        s & 1 == 1 && (s >> 1) + 1 < labelCount && labels[s >> 1] != labels[(s >> 1) + 1]
    }

    /// The log-probability of class c at frame t for sample b.
    @inline(__always)
    func logProbability(_ t: Int, _ b: Int, _ c: Int) -> Float {
        logits[(t * batch + b) * classes + c] - lse[t * batch + b]
    }

    /// Fills lse and alpha for sample b and returns −log p(labels | logits), +∞ when no
    /// alignment fits in the frames.
    func forward(_ b: Int) -> Float {
        let sample = samples[b]
        let frameCount = sample.frames, states = sample.states
        let labels = targets + sample.labelOffset
        for t in 0..<frameCount {
            lse[t * batch + b] = stableLogSumExp(logits + (t * batch + b) * classes, classes)
        }
        guard frameCount > 0 else { return sample.labelCount == 0 ? 0 : .infinity }
        let a = alpha + sample.alphaOffset
        a.update(repeating: -.infinity, count: states)
        a[0] = logProbability(0, b, blank)
        if states > 1 { a[1] = logProbability(0, b, Int(labels[0])) }
        for t in 1..<frameCount {
            let prev = a + (t - 1) * states, cur = a + t * states
            for s in 0..<states {
                var v = prev[s]
                if s >= 1 { v = logAddExp(v, prev[s - 1]) }
                if s >= 2 && canSkip(from: s - 2, labels, sample.labelCount) { v = logAddExp(v, prev[s - 2]) }
                cur[s] = v + logProbability(t, b, stateClass(s, labels))
            }
        }
        let last = a + (frameCount - 1) * states
        return -(states > 1 ? logAddExp(last[states - 1], last[states - 2]) : last[0])
    }

    /// Writes sample b's rows of the gradient w.r.t. the logits, scale · (softmax − γ), where γ is
    /// the posterior occupancy of each class; beta runs backwards in two rows of `betaRows`, each
    /// frame's gradient made as soon as its beta row is. Frames past the sample's length get 0.
    func backward(_ b: Int, nll: Float, scale: Float, betaRows: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>) {
        let sample = samples[b]
        let frameCount = sample.frames, states = sample.states
        let labels = targets + sample.labelOffset
        for t in (scale == 0 ? 0 : frameCount) ..< frames {
            (grad + (t * batch + b) * classes).update(repeating: 0, count: classes)
        }
        guard scale != 0, frameCount > 0 else { return }
        var next = betaRows + sample.betaOffset, cur = next + states
        for t in stride(from: frameCount - 1, through: 0, by: -1) {
            if t == frameCount - 1 {
                cur.update(repeating: -.infinity, count: states)
                cur[states - 1] = logProbability(t, b, blank)
                if states > 1 { cur[states - 2] = logProbability(t, b, Int(labels[sample.labelCount - 1])) }
            } else {
                for s in 0..<states {
                    var v = next[s]
                    if s + 1 < states { v = logAddExp(v, next[s + 1]) }
                    if canSkip(from: s, labels, sample.labelCount) { v = logAddExp(v, next[s + 2]) }
                    cur[s] = v + logProbability(t, b, stateClass(s, labels))
                }
            }
            // log Σ_{s: class c} alpha·beta per class, gathered in the gradient row itself.
            let g = grad + (t * batch + b) * classes
            let a = alpha + sample.alphaOffset + t * states
            g.update(repeating: -.infinity, count: classes)
            for s in 0..<states {
                let c = stateClass(s, labels)
                g[c] = logAddExp(g[c], a[s] + cur[s])
            }
            let row = logits + (t * batch + b) * classes, l = lse[t * batch + b]
            for c in 0..<classes {
                let lp = row[c] - l
                // Alpha and beta both hold frame t's own probability: divide it out once.
                g[c] = scale * (fastExp(lp) - fastExp(g[c] + nll - lp))
            }
            swap(&next, &cur)
        }
    }
}
