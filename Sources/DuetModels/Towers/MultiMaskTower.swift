// The towers a data2vec 2.0 student can be: each makes the tokens of K masked clones of a batch
// such that a kept token carries nothing of its clone's masked input. A ViT's patch embedding
// reads one patch per token, so it runs once and its output is cloned (fairseq clones the local
// features); the lip-reading front-end's 3-D stem reads five frames per token, so each clone's
// masked frames are zeroed in its input (as RAVEn masks) and the front-end runs on every clone.
import DuetNN
import DuetTensor

public protocol MultiMaskTower: EncoderTower {
    /// The token the blocks see first, when the tower has one (MAE's class token).
    var classToken: LearnedToken? { get }
    /// Tokens with positions, no class token, of `clones` copies of `x` [B, …] clone-major:
    /// [clones·B, N, D], row k·B + b masked by row k·B + b of `mask`.
    func cloneTokens(_ x: Tensor, clones: Int, mask: TokenMask, context: ForwardContext) -> Tensor
}

extension MAEEncoder: MultiMaskTower {
    public func cloneTokens(_ x: Tensor, clones: Int, mask: TokenMask, context: ForwardContext) -> Tensor {
        let tokens = embed(x)
        return clones > 1 ? Tensor.concat(Array(repeating: tokens, count: clones), axis: 0) : tokens
    }
}

extension LipReadingTower: MultiMaskTower {
    public var classToken: LearnedToken? { nil }

    /// `x` [B, 1, T, H, W]; the mask is over the T frames.
    public func cloneTokens(_ x: Tensor, clones: Int, mask: TokenMask, context: ForwardContext) -> Tensor {
        let batch = x.shape[0] * clones
        precondition(mask.batch == batch && mask.tokens == x.shape[2], "a mask of \(mask.batch)×\(mask.tokens) for \(clones) clones of \(x.shape)")
        let hidden = FrameMask(flags: mask.maskedFlags().scalars.map { $0 != 0 }, batch: batch, steps: mask.tokens)
        let cloned = clones > 1 ? Tensor.concat(Array(repeating: x, count: clones), axis: 0) : x
        return tokens(hidden.zeroing(cloned, timeAxis: 2), context: context)
    }
}

extension MultiMaskTower {
    /// Tokens before the patch tokens in the blocks' output: 1 with a class token, else 0.
    public var leadingTokens: Int { classToken == nil ? 0 : 1 }

    /// The visible tokens of `clones` masked copies of `x` through the blocks, clone-major:
    /// [clones·B, leadingTokens + K, D]; with no mask, every token of `x` ([B, leadingTokens + N, D]).
    public func encodeVisible(_ x: Tensor, mask: TokenMask?, clones: Int = 1, context: ForwardContext) -> Tensor {
        guard let mask else { return self(x, context: context) }
        var kept = cloneTokens(x, clones: clones, mask: mask, context: context).gatheringTokens(mask.keep)
        if let classToken { kept = classToken.prepend(to: kept) }
        return encoder(kept, context: context)
    }

    /// The blocks' output without its leading tokens: [B, N, D].
    public func droppingLeadingTokens(_ tokens: Tensor) -> Tensor {
        leadingTokens == 0 ? tokens : tokens.narrowed(axis: 1, start: leadingTokens, length: tokens.shape[1] - leadingTokens)
    }
}

extension EncoderTower {
    /// Every token of `x` (no mask) through the tower, keeping the blocks' FFN outputs; the
    /// class token, when the tower has one, stays first.
    public func encodeKeepingFFN(_ x: Tensor, context: ForwardContext) -> (output: Tensor, ffn: [Tensor]) {
        encoder.callAsFunctionKeepingFFN(tokens(x, context: context), context: context)
    }
}
