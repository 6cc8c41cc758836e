// The fine-tuning heads: a word classifier (temporal mean-pool, then `head`, a Linear, as LRW
// models and timm's ViTs with global average pooling) and a CTC projection (`ctc.ctc_lo`, ESPnet's
// and Auto-AVSR's name) from per-step features to the units and the blank.
import DuetNN
import DuetTensor

public struct ClassificationHead: Sendable {
    public let linear: Linear

    /// MAE's and VideoMAE's fine-tuning start the head near zero (truncated normal, std 2e-5 =
    /// 0.02 × init_scale 0.001) so the first steps do not wreck the pretrained features.
    public init(_ b: ParameterBuilder, inFeatures: Int, classes: Int) {
        linear = Linear(b, inFeatures: inFeatures, outFeatures: classes, initializer: .truncatedNormal(std: 2e-5))
    }

    public var classes: Int { linear.outFeatures }

    /// Per-step features [B, T, D] (valid steps `lengths`) → class logits [B, C].
    public func callAsFunction(_ features: Tensor, lengths: [Int]?) -> Tensor {
        linear(maskedTimeMean(features, lengths: lengths))
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
