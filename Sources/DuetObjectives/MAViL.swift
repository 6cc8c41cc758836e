// `mavil` stage 1 (Huang et al., MAViL: Masked Audio-Video Learners, arXiv 2212.08071): two
// independently masked views of each clip; per view, masked reconstruction of audio patches and
// video tubelets decoded from the fused tokens (per-patch normalised MSE on masked tokens) and
// inter-modal InfoNCE between the mean-pooled audio and video tokens of the visible patches;
// across the views, intra-modal InfoNCE between the two views of each modality.
import DuetModels
import DuetNN
import DuetTensor

public struct MAViL: MAViLStudent {

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
                normalizeTargets: Bool = true, dropPath: (audio: Float, video: Float) = (0, 0),
                videoTower: (@Sendable (ParameterBuilder) -> any MultiMaskTower)? = nil) {
        precondition(audioMasking.tokens == audioGrid.tokens && videoMasking.tokens == videoGrid.tokens, "masks do not fit the grids")
        self.store = store
        let b = store.builder
        towers = MAViLTowers(b, audioGrid: audioGrid, videoGrid: videoGrid, audioSize: audioSize, videoSize: videoSize,
                             fusionDepth: fusionDepth, dropPath: dropPath, videoTower: videoTower)
        audioHead = ContrastiveHead(b.scope("audio_proj"), inFeatures: audioSize.dim, outFeatures: projectionDim)
        videoHead = ContrastiveHead(b.scope("video_proj"), inFeatures: videoSize.dim, outFeatures: projectionDim)
        audioDecoder = MAEDecoder(b.scope("audio_decoder"), encoderDim: audioSize.dim, grid: audioGrid, size: decoderSize)
        videoDecoder = MAEDecoder(b.scope("video_decoder"), encoderDim: videoSize.dim, grid: videoGrid, size: decoderSize,
                                  classToken: towers.video.leadingTokens == 1)
        self.audioMasking = audioMasking
        self.videoMasking = videoMasking
        self.weights = weights
        self.normalizeTargets = normalizeTargets
    }

    /// Two masked views when the intra-modal term is on (it contrasts them), one otherwise.
    public var views: Int { weights.intra > 0 ? 2 : 1 }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        let x = try inputs(batch)
        var timer = PartTimer()
        let targets = noGrad {
            (audio: MaskedAutoencoder.targets(x.audio, grid: towers.audio.grid, modality: .audio, normalize: normalizeTargets),
             video: MaskedAutoencoder.targets(x.video, grid: towers.videoGrid, modality: .video, normalize: normalizeTargets))
        }
        var pooled: [(audio: Tensor, video: Tensor)] = []
        var reconstruction: [(audio: Tensor, video: Tensor)] = []
        for index in 0..<views {
            let view = try maskedView(x, view: index, context: context, timer: &timer)
            pooled.append(try timer.time("heads") {
                (audioHead(view.encoded.audio), videoHead(view.encoded.video, skipping: towers.video.leadingTokens))
            })
            reconstruction.append(try reconstructionLosses(view, targets: targets, context: context, timer: &timer))
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

    /// Retrieval compares clips where the inter-modal InfoNCE aligned them: the heads over the
    /// mean of the patch tokens (`encode` already left the class token out), as in training.
    public func retrievalFeatures(_ batch: ObjectiveBatch, tokens: Tensor, modality: Modality,
                                  context: ForwardContext) throws(ObjectiveError) -> Tensor {
        noGrad { (modality == .audio ? audioHead : videoHead)(tokens, skipping: 0) }
    }
}
