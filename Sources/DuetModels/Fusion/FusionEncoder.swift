// MAViL's joint fusion layers: transformer blocks over the audio and video tokens concatenated
// (each with its class token first), split back into the two modalities. Names as the official
// inference code's `blocks_av`, under a `fusion.` scope: fusion.blocks.N, fusion.norm.
import DuetNN
import DuetTensor

public struct FusionEncoder: Sendable {
    public let encoder: TransformerEncoder

    public init(_ b: ParameterBuilder, size: TransformerSize) {
        encoder = TransformerEncoder(b, dim: size.dim, depth: size.depth, heads: size.heads,
                                     options: BlockOptions(mlpRatio: size.mlpRatio))
    }

    /// `audio` [B, Na, D] and `video` [B, Nv, D] attend to each other; returns the fused tokens
    /// of each, in the same shapes.
    public func callAsFunction(audio: Tensor, video: Tensor, context: ForwardContext) -> (audio: Tensor, video: Tensor) {
        let (na, nv) = (audio.shape[1], video.shape[1])
        let fused = encoder(Tensor.concat([audio, video], axis: 1), context: context)
        let parts = fused.split([na, nv], axis: 1)
        return (parts[0], parts[1])
    }
}
