// An audio tower with one token per video frame, for objectives that align audio and video frame
// by frame (RAVEn): the filterbank frames of each video frame (4 at 10 ms and 25 fps), all mels,
// are one patch, embedded by a Linear (AV-HuBERT stacks filterbank frames the same way), then
// fixed 1-D sine-cosine positions (none with rotary attention) and transformer blocks.
// Names: patch_embed.proj (a Conv2d with kernel = stride = frames × mels), pos_embed (absent with
// rotary attention), blocks.N, norm.
import DuetNN
import DuetTensor

public struct FilterbankFrameTower: EncoderTower {
    public let patchEmbed: PatchEmbedding
    /// Added to the tokens unless the blocks rotate queries and keys by position.
    public let positions: FixedPositionEmbedding?
    public let encoder: TransformerEncoder
    /// Filterbank frames per token and tokens per clip.
    public let framesPerToken: Int
    public let steps: Int

    /// A tower over filterbanks [B, 1, steps·framesPerToken, mels].
    public init(_ b: ParameterBuilder, steps: Int, framesPerToken: Int, mels: Int, size: TransformerSize,
                blocks: BlockOptions = BlockOptions()) {
        patchEmbed = PatchEmbedding(b.scope("patch_embed"), inChannels: 1, dim: size.dim, patch: (framesPerToken, mels))
        positions = blocks.rotaryPositions ? nil : .timeSteps(b, steps: steps, dim: size.dim)
        encoder = TransformerEncoder(b, size: size, options: blocks)
        self.framesPerToken = framesPerToken
        self.steps = steps
    }

    public var dim: Int { patchEmbed.weight.shape[0] }
    public var tokensPerStep: Int { 1 }

    /// Filterbanks [B, 1, frames, mels] → [B, steps, D].
    public func tokens(_ x: Tensor, context: ForwardContext) -> Tensor {
        let tokens = patchEmbed(x)
        return positions.map { $0(tokens) } ?? tokens
    }
}
