// Inverse block masking (data2vec 2.0): the kept tokens form square blocks on the patch grid, so
// the model must predict whole masked regions; the count is then made exact, as data2vec 2.0
// does for batching.
import DuetTensor

public struct InverseBlockMasking: MaskingStrategy {
    public let height: Int
    public let width: Int
    public let ratio: Float
    /// Side of each kept block, in tokens (data2vec 2.0's mask_length, 3 for images).
    public let blockSize: Int

    public init(height: Int, width: Int, ratio: Float, blockSize: Int = 3) {
        precondition(ratio >= 0 && ratio < 1, "mask ratio \(ratio) must be in [0, 1)")
        precondition(blockSize >= 1, "block size must be at least 1")
        self.height = height
        self.width = width
        self.ratio = ratio
        self.blockSize = blockSize
    }

    public var tokens: Int { height * width }

    public func keptTokens(stream: RandomStream) -> [Int32] {
        let target = keptCount(tokens: tokens, ratio: ratio)
        var kept = [Bool](repeating: false, count: tokens)
        var count = 0, draw = 0
        // Grow blocks around random centres until enough tokens are kept.
        while count < target {
            let centre = stream.integer(draw, below: tokens)
            draw += 1
            let (r0, c0) = (centre / width - (blockSize - 1) / 2, centre % width - (blockSize - 1) / 2)
            for r in max(0, r0)..<min(height, r0 + blockSize) {
                for c in max(0, c0)..<min(width, c0 + blockSize) where !kept[r * width + c] {
                    kept[r * width + c] = true
                    count += 1
                }
            }
        }
        var indices = (0..<tokens).filter { kept[$0] }
        // The last block may overshoot: drop random kept tokens until the count is exact.
        let order = stream.derived(1).permutation(indices.count)
        let dropped = Set(order.prefix(indices.count - target).map { indices[$0] })
        indices.removeAll { dropped.contains($0) }
        return indices.map(Int32.init)
    }
}

/// Time-span masking (wav2vec 2.0, HuBERT, RAVEn): spans of `spanLength` tokens start at random
/// positions (spans may overlap) until `ratio` of the sequence is masked; the masked count is
/// made exact so a batch shares one kept count.
public struct TimeSpanMasking: MaskingStrategy {
    public let tokens: Int
    public let ratio: Float
    public let spanLength: Int

    public init(tokens: Int, ratio: Float, spanLength: Int = 10) {
        precondition(ratio >= 0 && ratio < 1, "mask ratio \(ratio) must be in [0, 1)")
        precondition(spanLength >= 1, "span length must be at least 1")
        self.tokens = tokens
        self.ratio = ratio
        self.spanLength = spanLength
    }

    public func keptTokens(stream: RandomStream) -> [Int32] {
        let keepTarget = keptCount(tokens: tokens, ratio: ratio)
        let maskTarget = tokens - keepTarget
        var masked = [Bool](repeating: false, count: tokens)
        var count = 0, draw = 0
        let starts = max(1, tokens - spanLength + 1)
        while count < maskTarget {
            let start = stream.integer(draw, below: starts)
            draw += 1
            for t in start..<min(tokens, start + spanLength) where !masked[t] && count < maskTarget {
                masked[t] = true
                count += 1
            }
        }
        return (0..<tokens).filter { !masked[$0] }.map(Int32.init)
    }
}
