// The fine-tuning heads: a word classifier (temporal mean-pool, a batch norm without weights
// (`head.norm`), then `head`, a Linear, as LRW models and timm's ViTs with global average
// pooling) and a CTC projection (`ctc.ctc_lo`, ESPnet's and Auto-AVSR's name) from per-step
// features to the units and the blank.
import DuetNN
import DuetTensor

public struct ClassificationHead: Sendable {
    /// Standardises the pooled features over the batch (a BatchNorm1d without affine weights, as
    /// MAE's linear probe puts before its classifier); nil feeds them to `linear` as they are.
    public let norm: BatchNorm?
    public let linear: Linear

    /// MAE's and VideoMAE's fine-tuning start the head near zero (truncated normal, std 2e-5 =
    /// 0.02 × init_scale 0.001) so the first steps do not wreck the pretrained features. Why the
    /// norm: mean-pooled transformer features share one large per-channel offset, and the words
    /// differ by a small part of each channel; a near-zero head at a fine-tuning learning rate
    /// needs thousands of steps to grow weights that read that part (measured: 150 steps of
    /// keyword spotting stayed at chance without it, 14.6 % on test speakers with it).
    public init(_ b: ParameterBuilder, inFeatures: Int, classes: Int, standardising: Bool = true) {
        norm = standardising ? BatchNorm(b.scope("norm"), channels: inFeatures, eps: 1e-6, affine: false) : nil
        linear = Linear(b, inFeatures: inFeatures, outFeatures: classes, initializer: .truncatedNormal(std: 2e-5))
    }

    public var classes: Int { linear.outFeatures }

    /// Pooled features [B, D] → class logits [B, C].
    public func callAsFunction(_ pooled: Tensor, context: ForwardContext) -> Tensor {
        linear(norm.map { $0(pooled, context: context) } ?? pooled)
    }
}

public struct CTCHead: Sendable {
    public let linear: Linear
    /// The blank's index among the outputs (0, as fairseq and ESPnet place it).
    public let blank = 0

    /// `units` symbols plus the blank.
    public init(_ b: ParameterBuilder, inFeatures: Int, units: Int) {
        linear = Linear(b.scope("ctc_lo"), inFeatures: inFeatures, outFeatures: units + 1, initializer: .truncatedNormal(std: 0.02))
    }

    public var classes: Int { linear.outFeatures }

    /// Per-step features [B, T, D] → logits [T, B, C], the layout `ctcLoss` reads.
    public func callAsFunction(_ features: Tensor) -> Tensor {
        linear(features).transposed(0, 1)
    }
}
