// RAVEn's masking over time: every frame starts a span of masked frames with a fixed probability
// (0.2 and 3 frames in RAVEn), spans overlapping freely; the masked frames' inputs are zeroed and
// the loss looks only at them. Counts differ from sample to sample, so the mask is a set of flags
// (`FrameMask`) rather than MAE's equal-count index lists.
import DuetTensor

public struct SpanStartMasking: Sendable, Equatable {
    /// The chance that a frame starts a span.
    public let probability: Float
    /// Frames per span (a span starting near the end is cut there).
    public let spanLength: Int

    public init(probability: Float, spanLength: Int) {
        precondition(probability >= 0 && probability <= 1, "span start probability \(probability) must be in [0, 1]")
        precondition(spanLength >= 1, "span length must be at least 1")
        self.probability = probability
        self.spanLength = spanLength
    }

    /// The flags of one sample whose first `length` of `steps` frames hold signal: frame t starts
    /// a span when uniform draw t is below `probability`. As fairseq's `min_masks = 1`, a sample
    /// with no start gets one, drawn uniformly among the starts of whole spans; as fairseq refuses a fully masked sample, one
    /// uniformly drawn frame is then unmasked. Padding frames are never masked.
    public func flags(length: Int, steps: Int, stream: RandomStream) -> [Bool] {
        var masked = [Bool](repeating: false, count: steps)
        let n = min(max(length, 0), steps)
        guard n > 1 else { return masked }
        var started = false
        for t in 0..<n where stream.uniform(t) < probability {
            started = true
            for s in t..<min(n, t + spanLength) { masked[s] = true }
        }
        if !started {
            let t = stream.integer(n, below: max(1, n - spanLength + 1))
            for s in t..<min(n, t + spanLength) { masked[s] = true }
        }
        if masked.prefix(n).allSatisfy({ $0 }) { masked[stream.integer(n + 1, below: n)] = false }
        return masked
    }

    /// The mask of a batch: sample b draws from `stream.derived(b)`.
    public func mask(lengths: [Int], steps: Int, stream: RandomStream) -> FrameMask {
        FrameMask(flags: lengths.enumerated().flatMap { b, n in flags(length: n, steps: steps, stream: stream.derived(UInt64(b))) },
                  batch: lengths.count, steps: steps)
    }
}

/// Which time steps of each sample are masked, [batch, steps] row-major.
public struct FrameMask: Sendable, Equatable {
    public let flags: [Bool]
    public let batch: Int
    public let steps: Int

    public init(flags: [Bool], batch: Int, steps: Int) {
        precondition(flags.count == batch * steps, "\(flags.count) mask flags for \(batch)×\(steps)")
        self.flags = flags
        self.batch = batch
        self.steps = steps
    }

    public var maskedCount: Int { flags.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Each step repeated `factor` times: the video frames' mask over audio frames.
    public func stretched(by factor: Int) -> FrameMask {
        FrameMask(flags: flags.flatMap { Array(repeating: $0, count: factor) }, batch: batch, steps: steps * factor)
    }

    /// 1 at masked steps and 0 elsewhere, [batch, steps, 1] (broadcasts over token widths).
    public func maskedTensor() -> Tensor {
        Tensor(shape: [batch, steps, 1], scalars: flags.map { $0 ? 1 : 0 })
    }

    /// The masked steps as rows of [B·steps, D] flattened to one sample, [1, maskedCount]: a
    /// gather of tokens reshaped to [1, B·steps, D] picks every masked step of the batch.
    public var maskedRows: TokenIndices {
        let rows = flags.indices.filter { flags[$0] }.map(Int32.init)
        return TokenIndices(values: rows, batch: 1, count: rows.count)
    }

    /// A copy of `x` with the inputs of masked steps set to zero, RAVEn's masking of the raw
    /// input. `x` is [B, …, steps·k, …] with time at `timeAxis`; each step covers k entries there.
    public func zeroing(_ x: Tensor, timeAxis: Int) -> Tensor {
        precondition(x.rank > timeAxis && x.shape[0] == batch && x.shape[timeAxis] % steps == 0,
                     "a mask of \(batch)×\(steps) steps does not fit \(x.shape) along axis \(timeAxis)")
        let out = x.copy()
        let time = x.shape[timeAxis], perStep = time / steps
        let outer = x.shape[1..<timeAxis].reduce(1, *), inner = x.shape[(timeAxis + 1)...].reduce(1, *)
        let p = out.pointer
        for b in 0..<batch {
            for o in 0..<outer {
                let base = (b * outer + o) * time * inner
                for t in 0..<time where flags[b * steps + t / perStep] {
                    (p + base + t * inner).update(repeating: 0, count: inner)
                }
            }
        }
        return out
    }
}
