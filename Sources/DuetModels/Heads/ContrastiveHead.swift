// The projection head of a contrastive objective (MAViL's InfoNCE terms): the patch tokens
// mean-pooled (class token left out, as the official code pools), then a Linear to the space
// where cosine similarities are taken.
import DuetNN
import DuetTensor

public struct ContrastiveHead: Sendable {
    public let proj: Linear

    public init(_ b: ParameterBuilder, inFeatures: Int, outFeatures: Int) {
        proj = Linear(b, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// `tokens` [B, (1 +) N, D] → [B, outFeatures]; `skipping` leading tokens (the class token)
    /// are not pooled.
    public func callAsFunction(_ tokens: Tensor, skipping leading: Int = 1) -> Tensor {
        proj(meanPooledTokens(tokens, skipping: leading))
    }
}

/// The mean over the token axis of [B, N, D] after the first `leading` tokens: [B, D].
public func meanPooledTokens(_ tokens: Tensor, skipping leading: Int = 0) -> Tensor {
    let n = tokens.shape[1] - leading
    precondition(n > 0, "no tokens to pool in \(tokens.shape) after \(leading)")
    return (leading > 0 ? tokens.narrowed(axis: 1, start: leading, length: n) : tokens).mean(axis: 1)
}
