// Masks over token grids with more than one axis: a 2-D pattern shared by every time step of a
// tubelet grid (so a hidden patch cannot be copied from its neighbour in time, VideoMAE's reason
// for tubes), and time spans that hide whole time rows of a spectrogram's patch grid.
import DuetTensor

/// A spatial masking strategy (inverse block, random, …) drawn once per sample and applied at
/// every one of `frames` time steps; tokens are (t, spatial) row-major as tubelets are.
public struct TubeExtendedMasking: MaskingStrategy {
    public let frames: Int
    public let spatial: any MaskingStrategy

    public init(frames: Int, spatial: any MaskingStrategy) {
        precondition(frames >= 1, "a tube mask needs at least one frame")
        self.frames = frames
        self.spatial = spatial
    }

    public var tokens: Int { frames * spatial.tokens }

    public func keptTokens(stream: RandomStream) -> [Int32] {
        let kept = spatial.keptTokens(stream: stream)
        let n = spatial.tokens
        return (0..<frames).flatMap { t in kept.map { Int32(t * n) + $0 } }
    }
}

/// A time masking strategy (time spans, …) over the `rows` time steps of a patch grid whose rows
/// hold `perRow` tokens each (a spectrogram's frequency patches): a hidden time step hides its
/// whole row.
public struct RowExtendedMasking: MaskingStrategy {
    public let time: any MaskingStrategy
    public let perRow: Int

    public init(time: any MaskingStrategy, perRow: Int) {
        precondition(perRow >= 1, "a row needs at least one token")
        self.time = time
        self.perRow = perRow
    }

    public var tokens: Int { time.tokens * perRow }

    public func keptTokens(stream: RandomStream) -> [Int32] {
        time.keptTokens(stream: stream).sorted().flatMap { r in (0..<perRow).map { Int32(Int(r) * perRow + $0) } }
    }
}
