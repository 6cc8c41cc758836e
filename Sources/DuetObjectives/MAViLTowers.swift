// The audio-visual model MAViL trains in both stages: an audio ViT over filterbank patches
// (`audio_encoder.`), a video tower (`video_encoder.`: a ViT over tubelets, or RAVEn's
// lip-reading tower with one token a frame), both run on their kept tokens, and joint fusion
// blocks over the two token sequences (`fusion.`).
import DuetModels
import DuetNN
import DuetTensor

public struct MAViLTowers: Sendable {
    public let audio: MAEEncoder
    public let video: any MultiMaskTower
    /// The video tokens' grid: tubelets, or whole frames (tubelet 1, patch = frame size) for a
    /// tower with one token a frame. The decoder reconstructs its patches.
    public let videoGrid: TokenGrid
    public let fusion: FusionEncoder

    /// The two encoders must share a width (the fusion blocks attend over both); the fusion
    /// blocks take it and the audio encoder's heads and MLP ratio. `videoTower` builds a video
    /// tower other than the tubelet ViT over `videoGrid` (its tokens must be `videoGrid`'s).
    public init(_ b: ParameterBuilder, audioGrid: TokenGrid, videoGrid: TokenGrid, audioSize: TransformerSize,
                videoSize: TransformerSize, fusionDepth: Int, dropPath: (audio: Float, video: Float) = (0, 0),
                videoTower: (@Sendable (ParameterBuilder) -> any MultiMaskTower)? = nil) {
        precondition(audioSize.dim == videoSize.dim, "MAViL's towers must share a width: \(audioSize.dim) vs \(videoSize.dim)")
        audio = MAEEncoder(b.scope("audio_encoder"), grid: audioGrid, size: audioSize, dropPath: dropPath.audio)
        video = videoTower.map { $0(b.scope("video_encoder")) }
            ?? MAEEncoder(b.scope("video_encoder"), grid: videoGrid, size: videoSize, dropPath: dropPath.video)
        self.videoGrid = videoGrid
        fusion = FusionEncoder(b.scope("fusion"), size: TransformerSize(dim: audioSize.dim, depth: fusionDepth,
                                                                       heads: audioSize.heads, mlpRatio: audioSize.mlpRatio))
    }

    public var dim: Int { audio.size.dim }

    /// Each modality's kept tokens (all without a mask) through its encoder: [B, 1 + K, D] for
    /// audio (the class token first), [B, video.leadingTokens + K, D] for video.
    public func encode(audio xa: Tensor, video xv: Tensor, masks: (audio: TokenMask?, video: TokenMask?),
                       context: ForwardContext) -> (audio: Tensor, video: Tensor) {
        (audio(xa, mask: masks.audio, context: context), video.encodeVisible(xv, mask: masks.video, context: context))
    }

    /// The teacher's view (MAViL stage 2): every token of both modalities, encoded and fused,
    /// class tokens dropped: [B, Na, D] and [B, Nv, D]. Run under `noGrad`.
    public func fusedFeatures(audio xa: Tensor, video xv: Tensor, context: ForwardContext) -> (audio: Tensor, video: Tensor) {
        let encoded = encode(audio: xa, video: xv, masks: (nil, nil), context: context)
        let fused = fusion(audio: encoded.audio, video: encoded.video, context: context)
        return (dropClassToken(fused.audio), video.droppingLeadingTokens(fused.video))
    }
}

extension MAViLTowers {
    /// One modality's patch tokens of the whole clip through its unimodal encoder, [B, N, D],
    /// without a graph: what probes read (`encode`).
    func patchTokens(_ batch: ObjectiveBatch, modality: Modality, objective: String,
                     context: ForwardContext) throws(ObjectiveError) -> Tensor {
        let tower: any MultiMaskTower = modality == .audio ? audio : video
        let x = try batch.input(modality, grid: modality == .audio ? audio.grid : videoGrid, objective: objective)
        return noGrad { tower.droppingLeadingTokens(tower(x, context: context)) }
    }
}

/// [B, 1 + N, D] → [B, N, D].
func dropClassToken(_ tokens: Tensor) -> Tensor {
    tokens.narrowed(axis: 1, start: 1, length: tokens.shape[1] - 1)
}
