// RAVEn's video encoder: the lip-reading front-end (3-D convolutional stem, per-frame ResNet-18
// trunk) gives one feature vector per frame, a Linear brings it to the transformer's width, and
// transformer blocks with fixed sine-cosine positions (or, with rotary attention, relative
// positions only, as RAVEn's relative-position attention) contextualise the frames.
// Names: frontend.frontend3D.*, frontend.trunk.* (RAVEn's), proj, pos_embed [1, T, D] (absent with
// rotary attention), blocks.N, norm.
import DuetNN
import DuetTensor

public struct LipReadingTower: EncoderTower {
    public let frontend: LipReadingFrontend
    /// RAVEn's "vanilla_linear" input layer: front-end features to the transformer's width.
    public let proj: Linear
    /// Added to the tokens unless the blocks rotate queries and keys by position.
    public let positions: FixedPositionEmbedding?
    public let encoder: TransformerEncoder
    public let frames: Int

    /// A tower over clips of `frames` frames. `resnet` sets the front-end's width (64 in RAVEn:
    /// 512 features a frame); `blocks` the transformer's (RAVEn: LayerScale 0.1, no drop-path).
    public init(_ b: ParameterBuilder, frames: Int, size: TransformerSize, resnet: ResNetOptions = .autoAVSR,
                blocks: BlockOptions = BlockOptions()) {
        frontend = LipReadingFrontend(b.scope("frontend"), options: resnet)
        proj = Linear(b.scope("proj"), inFeatures: frontend.outFeatures, outFeatures: size.dim)
        positions = blocks.rotaryPositions ? nil : .timeSteps(b, steps: frames, dim: size.dim)
        encoder = TransformerEncoder(b, size: size, options: blocks)
        self.frames = frames
    }

    public var dim: Int { proj.outFeatures }
    public var tokensPerStep: Int { 1 }

    /// Gray mouth crops [B, 1, T, H, W] → [B, T, D].
    public func tokens(_ x: Tensor, context: ForwardContext) -> Tensor {
        let tokens = proj(frontend(x, context: context))
        return positions.map { $0(tokens) } ?? tokens
    }
}
