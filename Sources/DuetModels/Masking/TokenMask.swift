// A mask over a batch of token sequences: which tokens each sample keeps (the encoder sees only
// those) and which it hides (the objective predicts those), with equal counts across the batch.
import DuetTensor

public struct TokenMask: Sendable, Equatable {
    /// Kept token indices per sample, ascending: [batch, keptCount].
    public let keep: TokenIndices
    /// Masked token indices per sample, ascending: [batch, tokens − keptCount].
    public let masked: TokenIndices
    public let tokens: Int

    /// Builds both index sets from one kept set per sample (each sorted, distinct, in range).
    public init(keptRows: [[Int32]], tokens: Int) {
        var maskedRows: [[Int32]] = []
        for row in keptRows {
            var kept = [Bool](repeating: false, count: tokens)
            for i in row { kept[Int(i)] = true }
            maskedRows.append((0..<tokens).filter { !kept[$0] }.map(Int32.init))
        }
        keep = TokenIndices(rows: keptRows.map { $0.sorted() })
        masked = TokenIndices(rows: maskedRows)
        self.tokens = tokens
    }

    public var batch: Int { keep.batch }

    /// 1 for a masked token and 0 for a kept one, [batch, tokens] (the loss weights of MAE).
    public func maskedFlags() -> Tensor {
        let flags = Tensor.zeros([batch, tokens])
        for b in 0..<batch {
            for j in 0..<masked.count { flags.pointer[b * tokens + Int(masked.values[b * masked.count + j])] = 1 }
        }
        return flags
    }
}

/// A masking strategy: deterministic in (stream, sample), so step s of a resumed run masks
/// exactly as the uninterrupted run did.
public protocol MaskingStrategy: Sendable {
    /// Tokens per sample this strategy masks over.
    var tokens: Int { get }
    /// The kept indices of sample `sample` (any order, distinct), from `stream` alone.
    func keptTokens(stream: RandomStream) -> [Int32]
}

extension MaskingStrategy {
    /// The mask of a batch at one step: sample b draws from `stream.derived(b)`.
    public func mask(batch: Int, stream: RandomStream) -> TokenMask {
        TokenMask(keptRows: (0..<batch).map { keptTokens(stream: stream.derived(UInt64($0))) }, tokens: tokens)
    }
}

/// The number of tokens kept at a mask ratio: MAE's int(N·(1 − ratio)), at least one.
func keptCount(tokens: Int, ratio: Float) -> Int {
    max(1, Int(Float(tokens) * (1 - ratio)))
}
