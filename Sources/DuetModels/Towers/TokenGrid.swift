// How an input becomes tokens: a spectrogram or image cut in square patches, or a video cut in
// tubelets; the token count, the target width and the fixed position table of each.
import DuetNN
import DuetTensor

public enum TokenGrid: Sendable, Equatable {
    /// A spectrogram or image [B, C, H, W] in p×p patches.
    case image(channels: Int, height: Int, width: Int, patch: Int)
    /// A video [B, C, T, H, W] in t×p×p tubelets.
    case video(channels: Int, frames: Int, height: Int, width: Int, tubelet: Int, patch: Int)

    public var tokens: Int {
        switch self {
        case let .image(_, h, w, p): return (h / p) * (w / p)
        case let .video(_, t, h, w, tt, p): return (t / tt) * (h / p) * (w / p)
        }
    }

    /// Tokens per time step, the tokens being time-major: a row of patches (a spectrogram's
    /// frequency patches at one time), or the spatial grid of one tubelet step.
    public var tokensPerStep: Int {
        switch self {
        case let .image(_, _, width, patch): return width / patch
        case let .video(_, _, height, width, _, patch): return (height / patch) * (width / patch)
        }
    }

    /// Pixel values per token: the width of a reconstruction target.
    public var patchValues: Int {
        switch self {
        case let .image(c, _, _, p): return p * p * c
        case let .video(c, _, _, _, tt, p): return tt * p * p * c
        }
    }

    public var channels: Int {
        switch self {
        case let .image(c, _, _, _), let .video(c, _, _, _, _, _): return c
        }
    }

    /// MAE's 2-D or MAE-ST's 3-D sine-cosine table, with MAE's zero row first for a class token.
    public func positions(dim: Int, classToken: Bool) -> [Float] {
        let table: [Float]
        switch self {
        case let .image(_, h, w, p): table = SinCosPositionEmbedding.twoD(dim: dim, height: h / p, width: w / p)
        case let .video(_, t, h, w, tt, p):
            table = SinCosPositionEmbedding.threeD(dim: dim, frames: t / tt, height: h / p, width: w / p)
        }
        return classToken ? [Float](repeating: 0, count: dim) + table : table
    }

    /// The input cut into target patches [B, N, patchValues].
    public func patchify(_ x: Tensor) -> Tensor {
        switch self {
        case let .image(_, _, _, p): return Patchify.image(x, patch: (p, p))
        case let .video(_, _, _, _, tt, p): return Patchify.video(x, tubelet: (tt, p, p))
        }
    }
}
