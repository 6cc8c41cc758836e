// One teacher of a masked-feature-distillation student: the frozen encoder, how its tokens line up
// with the student's (the same tokens, or per-frame tokens of every tubelet-th frame), and the
// decoder that predicts them.
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
    }

    /// `img`, `vid` or `aud`: names the decoder's parameters and the loss in the metrics.
    public let name: String
    public let teacher: TeacherEncoder
    public let alignment: Alignment
    public let decoder: FeatureDecoder
    public let weight: Float

    public init(name: String, teacher: TeacherEncoder, alignment: Alignment, decoder: FeatureDecoder, weight: Float) {
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
            case .sameTokens: tokens = teacher.features(x)
            case .framesEvery(let stride):
                tokens = VideoFrames.regrouped(teacher.features(VideoFrames.sampled(x, stride: stride)), clips: x.shape[0])
            }
            return layerNorm ? tokens.layerNorm(eps: 1e-6) : tokens
        }
    }
}
