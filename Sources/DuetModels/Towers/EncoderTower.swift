// The encoder towers an audio-visual objective trains: each turns its input into tokens with
// positions, then runs transformer blocks over them. MAE's encoder, the lip-reading tower and the
// filterbank-frame tower conform, so objectives and probes take any of them.
import DuetNN
import DuetTensor

public protocol EncoderTower: Sendable {
    /// Token width.
    var dim: Int { get }
    /// Tokens per time step, row-major after the step: 1 for towers with one token per frame,
    /// the spatial grid of a tubelet ViT, the frequency patches of a spectrogram ViT.
    var tokensPerStep: Int { get }
    /// The input as tokens with positions, before the blocks: [B, N, D].
    func tokens(_ x: Tensor, context: ForwardContext) -> Tensor
    /// The blocks and their final norm.
    var encoder: TransformerEncoder { get }
}

/// What a tower's forward pass hands back.
public struct TowerFeatures {
    /// After the final norm: [B, N, D].
    public var output: Tensor
    /// The mean of every block's output (before the final norm), when asked for (BRAVEn's and
    /// data2vec's targets average blocks): [B, N, D].
    public var blockMean: Tensor?
}

extension EncoderTower {
    /// The whole input through the tower: [B, N, D].
    public func callAsFunction(_ x: Tensor, context: ForwardContext, keyPadding: KeyPaddingMask? = nil) -> Tensor {
        encoder(tokens(x, context: context), context: context, keyPadding: keyPadding)
    }

    /// The output, and with `averagingBlocks` the mean of the blocks' outputs too.
    public func features(_ x: Tensor, context: ForwardContext, keyPadding: KeyPaddingMask? = nil,
                         averagingBlocks: Bool) -> TowerFeatures {
        guard averagingBlocks else { return TowerFeatures(output: self(x, context: context, keyPadding: keyPadding)) }
        var h = tokens(x, context: context)
        var sum: Tensor?
        for block in encoder.blocks {
            h = block(h, context: context, keyPadding: keyPadding)
            sum = sum.map { $0 + h } ?? h
        }
        let mean = sum.map { $0 * (1 / Float(encoder.blocks.count)) } ?? h
        return TowerFeatures(output: encoder.norm.map { $0(h) } ?? h, blockMean: mean)
    }

    /// Tokens [B, steps·k, D] averaged over each step's k tokens: [B, steps, D].
    public func perStep(_ tokens: Tensor) -> Tensor {
        let k = tokensPerStep
        guard k > 1 else { return tokens }
        let (b, n, d) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        return tokens.reshaped([b, n / k, k, d]).mean(axis: 2)
    }

    /// The key-padding mask of `steps` time steps of which the first `lengths[b]` hold signal,
    /// spread over each step's tokens.
    public func keyPadding(stepLengths lengths: [Int], steps: Int) -> KeyPaddingMask {
        let k = tokensPerStep
        return KeyPaddingMask(valid: lengths.flatMap { n in (0..<(steps * k)).map { $0 / k < n } },
                              batch: lengths.count, keys: steps * k)
    }
}

extension MAEEncoder: EncoderTower {
    public var dim: Int { size.dim }

    public var tokensPerStep: Int { grid.tokensPerStep }

    /// Every patch with its position, the class token first when there is one.
    public func tokens(_ x: Tensor, context: ForwardContext) -> Tensor {
        let patches = embed(x)
        return classToken.map { $0.prepend(to: patches) } ?? patches
    }
}
