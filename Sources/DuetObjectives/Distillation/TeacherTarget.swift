// One teacher of a masked-feature-distillation student: the frozen encoder, how its tokens line up
// with the student's (the same tokens, per-frame tokens of every tubelet-th frame, one token a
// frame shared by the tubelets of its time step, or a frame's tokens pooled for a student with one
// token a frame), and the decoder that predicts them.
import DuetModels
import DuetNN
import DuetTensor

public struct TeacherTarget: Sendable {
    public enum Alignment: Sendable, Equatable {
        /// The teacher cuts the student's input into the same tokens (video → video, audio → audio).
        case sameTokens
        /// An image teacher sees every `stride`-th frame; its per-frame patches line up with the
        /// student's `stride`×p×p tubelets (MVD's image teacher, `videos[:, :, ::tubelet]`).
        case framesEvery(Int)
        /// A teacher with one token a frame (RAVEn's lip-reading tower) sees the student's clip;
        /// its tokens are averaged over each tubelet's `framesPerStep` frames, and that step's
        /// target is the target of each of the student's `tokensPerStep` tubelets of the step
        /// (the student's tokens are time-major).
        case sharedPerStep(framesPerStep: Int, tokensPerStep: Int)
        /// An image teacher sees every frame; the mean of a frame's patch tokens is the target
        /// of a student with one token a frame (the lip-reading tower).
        case framePooled
    }

    /// `img`, `vid` or `aud`: names the decoder's parameters and the loss in the metrics.
    public let name: String
    public let teacher: any FrozenTeacher
    public let alignment: Alignment
    public let decoder: FeatureDecoder
    public let weight: Float

    public init(name: String, teacher: any FrozenTeacher, alignment: Alignment, decoder: FeatureDecoder, weight: Float) {
        self.name = name
        self.teacher = teacher
        self.alignment = alignment
        self.decoder = decoder
        self.weight = weight
    }

    /// The teacher's features of every student token, [B, N, D_teacher], without a graph; with
    /// `layerNorm`, each token normalised without affine parameters (MVD's `norm_feature`).
    public func features(of x: Tensor, layerNorm: Bool) -> Tensor {
        noGrad {
            let tokens: Tensor
            switch alignment {
            case .sameTokens: tokens = teacher.features(x, through: nil)
            case .framesEvery(let stride):
                tokens = VideoFrames.regrouped(teacher.features(VideoFrames.sampled(x, stride: stride), through: nil), clips: x.shape[0])
            case .framePooled:
                tokens = teacher.features(VideoFrames.sampled(x, stride: 1), through: nil).mean(axis: 1).reshaped([x.shape[0], x.shape[2], teacher.dim])
            case let .sharedPerStep(framesPerStep, tokensPerStep):
                tokens = Self.sharedPerStep(teacher.features(x, through: nil), framesPerStep: framesPerStep, tokensPerStep: tokensPerStep)
            }
            return layerNorm ? tokens.layerNorm(eps: 1e-6) : tokens
        }
    }

    /// Per-frame tokens [B, T, D] averaged over runs of `framesPerStep` frames and each step's
    /// mean repeated for its `tokensPerStep` tokens: [B, (T / framesPerStep) · tokensPerStep, D].
    public static func sharedPerStep(_ frames: Tensor, framesPerStep: Int, tokensPerStep: Int) -> Tensor {
        let (b, t, d) = (frames.shape[0], frames.shape[1], frames.shape[2])
        precondition(t % framesPerStep == 0, "\(t) teacher frames do not fill steps of \(framesPerStep)")
        let steps = t / framesPerStep
        let means = frames.reshaped([b, steps, framesPerStep, d]).mean(axis: 2).reshaped([b, steps, 1, d])
        return means.expanded(to: [b, steps, tokensPerStep, d]).reshaped([b, steps * tokensPerStep, d])
    }
}
