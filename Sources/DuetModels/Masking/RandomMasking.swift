// Random masking (MAE, AudioMAE: 75-80%) and tube masking (VideoMAE: 90%, one spatial mask
// shared by every time step).
import DuetTensor

/// Keeps a uniformly random subset of int(N·(1 − ratio)) tokens.
public struct RandomMasking: MaskingStrategy {
    public let tokens: Int
    public let ratio: Float

    public init(tokens: Int, ratio: Float) {
        precondition(ratio >= 0 && ratio < 1, "mask ratio \(ratio) must be in [0, 1)")
        self.tokens = tokens
        self.ratio = ratio
    }

    public func keptTokens(stream: RandomStream) -> [Int32] {
        stream.permutation(tokens).prefix(keptCount(tokens: tokens, ratio: ratio)).map(Int32.init)
    }
}

/// VideoMAE's tube masking: tokens are (t, spatial) row-major; one random spatial subset is
/// kept at every time step.
public struct TubeMasking: MaskingStrategy {
    public let frames: Int
    public let spatial: Int
    public let ratio: Float

    public init(frames: Int, spatial: Int, ratio: Float) {
        precondition(ratio >= 0 && ratio < 1, "mask ratio \(ratio) must be in [0, 1)")
        self.frames = frames
        self.spatial = spatial
        self.ratio = ratio
    }

    public var tokens: Int { frames * spatial }

    public func keptTokens(stream: RandomStream) -> [Int32] {
        let kept = stream.permutation(spatial).prefix(keptCount(tokens: spatial, ratio: ratio))
        return (0..<frames).flatMap { t in kept.map { Int32(t * spatial + $0) } }
    }
}
