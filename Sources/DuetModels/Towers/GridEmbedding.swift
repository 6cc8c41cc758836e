// The token embedding a grid needs: square patches of a spectrogram or image (a Conv2d), or
// tubelets of a video (a Conv3d), named `patch_embed.proj` as MAE and timm name it.
import DuetNN
import DuetTensor

public enum GridEmbedding: Sendable {
    case patches(PatchEmbedding)
    case tubelets(TubeletEmbedding)

    /// Built under `b` (usually `builder.scope("patch_embed")`) for `grid`'s input.
    public init(_ b: ParameterBuilder, grid: TokenGrid, dim: Int) {
        switch grid {
        case let .image(c, _, _, p): self = .patches(PatchEmbedding(b, inChannels: c, dim: dim, patch: (p, p)))
        case let .video(c, _, _, _, t, p): self = .tubelets(TubeletEmbedding(b, inChannels: c, dim: dim, tubelet: (t, p, p)))
        }
    }

    /// [B, C, H, W] or [B, C, T, H, W] → tokens [B, N, D].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .patches(let embed): return embed(x)
        case .tubelets(let embed): return embed(x)
        }
    }
}
