// `mavil` stage 1 (Huang et al., MAViL: Masked Audio-Video Learners, arXiv 2212.08071): two
// independently masked views of each clip; per view, masked reconstruction of audio patches and
// video tubelets decoded from the fused tokens (per-patch normalised MSE on masked tokens) and
// inter-modal InfoNCE between the mean-pooled audio and video tokens of the visible patches;
// across the views, intra-modal InfoNCE between the two views of each modality.
import DuetModels
import DuetNN
import DuetTensor

public struct MAViL: PretrainingObjective {

    /// The loss's temperatures and weights: L = L_rec + λ_inter·L_inter + λ_intra·L_intra.
    public struct Weights: Sendable, Equatable {
        public var interTemperature: Float
        public var intraTemperature: Float
        public var inter: Float
        public var intra: Float

        public init(interTemperature: Float = 0.1, intraTemperature: Float = 0.1, inter: Float = 0.01, intra: Float = 0.01) {
            (self.interTemperature, self.intraTemperature, self.inter, self.intra) = (interTemperature, intraTemperature, inter, intra)
        }
    }

    public let store: ParameterStore
    public let towers: MAViLTowers
    public let audioHead: ContrastiveHead
    public let videoHead: ContrastiveHead
    public let audioDecoder: MAEDecoder
    public let videoDecoder: MAEDecoder
    public let audioMasking: any MaskingStrategy
    public let videoMasking: any MaskingStrategy
    public let weights: Weights
    public let normalizeTargets: Bool

    public var name: String { "mavil" }

    /// Builds the towers, the contrastive heads (`audio_proj`, `video_proj`, `projectionDim`
    /// wide) and the two MAE decoders (`audio_decoder.`, `video_decoder.`) in `store`.
    public init(store: ParameterStore, audioGrid: TokenGrid, videoGrid: TokenGrid, audioSize: TransformerSize,
                videoSize: TransformerSize, fusionDepth: Int, decoderSize: TransformerSize, projectionDim: Int,
                audioMasking: any MaskingStrategy, videoMasking: any MaskingStrategy, weights: Weights = Weights(),
                normalizeTargets: Bool = true, dropPath: (audio: Float, video: Float) = (0, 0)) {
        precondition(audioMasking.tokens == audioGrid.tokens && videoMasking.tokens == videoGrid.tokens, "masks do not fit the grids")
        self.store = store
        let b = store.builder
        towers = MAViLTowers(b, audioGrid: audioGrid, videoGrid: videoGrid, audioSize: audioSize, videoSize: videoSize,
                             fusionDepth: fusionDepth, dropPath: dropPath)
        audioHead = ContrastiveHead(b.scope("audio_proj"), inFeatures: audioSize.dim, outFeatures: projectionDim)
        videoHead = ContrastiveHead(b.scope("video_proj"), inFeatures: videoSize.dim, outFeatures: projectionDim)
        audioDecoder = MAEDecoder(b.scope("audio_decoder"), encoderDim: audioSize.dim, grid: audioGrid, size: decoderSize)
        videoDecoder = MAEDecoder(b.scope("video_decoder"), encoderDim: videoSize.dim, grid: videoGrid, size: decoderSize)
        self.audioMasking = audioMasking
        self.videoMasking = videoMasking
        self.weights = weights
        self.normalizeTargets = normalizeTargets
    }

    /// Two masked views when the intra-modal term is on (it contrasts them), one otherwise.
    public var views: Int { weights.intra > 0 ? 2 : 1 }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let xa = try batch.input(.audio, grid: towers.audio.grid, objective: name)
        let xv = try batch.input(.video, grid: towers.video.grid, objective: name)
        let b = xa.shape[0]
        guard xv.shape[0] == b else { throw .shapeMismatch(objective: name, what: "video batch", expected: [b], got: [xv.shape[0]]) }
        var timer = PartTimer()
        let (targetA, targetV) = noGrad {
            (MaskedAutoencoder.targets(xa, grid: towers.audio.grid, modality: .audio, normalize: normalizeTargets),
             MaskedAutoencoder.targets(xv, grid: towers.video.grid, modality: .video, normalize: normalizeTargets))
        }
        var pooled: [(audio: Tensor, video: Tensor)] = []
        var reconstruction: [(audio: Tensor, video: Tensor)] = []
        for view in 0..<views {
            let maskA = audioMasking.mask(batch: b, stream: context.stream("mask.audio.\(view)"))
            let maskV = videoMasking.mask(batch: b, stream: context.stream("mask.video.\(view)"))
            let encoded = try timer.time("encoders") {
                towers.encode(audio: xa, video: xv, masks: (maskA, maskV), context: context.forward)
            }
            pooled.append(try timer.time("heads") { (audioHead(encoded.audio), videoHead(encoded.video)) })
            let fused = try timer.time("fusion") {
                towers.fusion(audio: encoded.audio, video: encoded.video, context: context.forward)
            }
            reconstruction.append(try timer.time("decoders") {
                (mseLoss(audioDecoder(fused.audio, mask: maskA, context: context.forward), targetA, mask: maskA.maskedFlags()),
                 mseLoss(videoDecoder(fused.video, mask: maskV, context: context.forward), targetV, mask: maskV.maskedFlags()))
            })
        }
        let scale = 1 / Float(views)
        let recA = reconstruction.map(\.audio).reduce(Tensor.zeros([]), +) * scale
        let recV = reconstruction.map(\.video).reduce(Tensor.zeros([]), +) * scale
        let inter = pooled.map { infoNCELoss($0.audio, $0.video, temperature: weights.interTemperature) }
            .reduce(Tensor.zeros([]), +) * scale
        var loss = recA + recV + inter * weights.inter
        var metrics = timer.milliseconds
        if views == 2 {
            let intra = infoNCELoss(pooled[0].audio, pooled[1].audio, temperature: weights.intraTemperature)
                + infoNCELoss(pooled[0].video, pooled[1].video, temperature: weights.intraTemperature)
            loss = loss + intra * weights.intra
            metrics["intra"] = Double(intra.item)
        }
        metrics["loss"] = Double(loss.item)
        metrics["rec_audio"] = Double(recA.item)
        metrics["rec_video"] = Double(recV.item)
        metrics["inter"] = Double(inter.item)
        return ObjectiveOutput(loss: loss, metrics: metrics)
    }

    /// The unimodal encoder's patch tokens of the whole clip, [B, N, D], without a graph.
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        try towers.patchTokens(batch, modality: modality, objective: name, context: context)
    }

    public var encodedModalities: [Modality] { [.audio, .video] }

    /// Retrieval compares clips where the inter-modal InfoNCE aligned them: through the heads.
    public func retrievalEmbedding(_ pooled: Tensor, modality: Modality) -> Tensor {
        noGrad { (modality == .audio ? audioHead : videoHead).proj(pooled) }
    }
}
