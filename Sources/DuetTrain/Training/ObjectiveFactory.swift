// From a run's config to its objective: the token grid of the tower, the encoder and decoder
// sizes, the masking generator, all built in a fresh parameter store keyed by the run's seed.
import DuetModels
import DuetNN
import DuetObjectives

public enum ObjectiveFactory {
    /// The objective `config.objective.name` names, its parameters initialised from
    /// `ParameterStore(seed: config.seed)` and the store finalised.
    public static func makeObjective(for config: RunConfig) throws(ConfigError) -> any PretrainingObjective {
        try config.validate()
        let store = ParameterStore(seed: UInt64(config.seed))
        let objective: any PretrainingObjective
        switch config.objective.name {
        case "mae-audio", "mae-video":
            let modality: MaskedAutoencoder.Modality = config.objective.name == "mae-audio" ? .audio : .video
            let tower: TransformerConfig = modality == .audio ? config.model.audio.transformer : config.model.video.transformer
            let dropPath = modality == .audio ? config.model.audio.dropPath : config.model.video.dropPath
            let grid = modality == .audio ? tokenGrid(for: config, modality: .audio) : videoTokenGrid(for: config)
            objective = MaskedAutoencoder(
                modality: modality, store: store, grid: grid, encoderSize: size(tower), decoderSize: size(config.model.decoder),
                masking: studentMasking(for: config, grid: grid), normalizeTargets: config.objective.normPixLoss,
                dropPath: Float(dropPath), tower: modality == .video ? videoTowerBuilder(for: config) : nil)
        case "mavil":
            objective = try makeMAViL(for: config, store: store)
        case "data2vec2":
            objective = try makeData2Vec2(for: config, store: store)
        case "mae-image", "mvd", "distill-audio", "dmae", "mimco":
            objective = try makeDistillation(for: config, store: store)
        case "raven":
            objective = makeRAVEn(for: config, store: store)
        default:
            // `ObjectiveConfig.validate` admits only the names above.
            preconditionFailure("objective \(config.objective.name) has no factory")
        }
        // Objectives with a teacher finalise the student before building it.
        if !store.isFinalized { store.finalize() }
        return objective
    }

    /// Which modalities the objective of `config` reads from each batch.
    public static func modalities(of config: RunConfig) -> (audio: Bool, video: Bool) {
        if let task = config.task { return (task.modality.hasAudio, task.modality.hasVideo) }
        switch config.objective.name {
        case "mae-video", "mae-image", "mvd": return (false, true)
        case "mavil", "raven": return (true, true)
        case "data2vec2": return (config.objective.data2vec2.usesAudio, config.objective.data2vec2.usesVideo)
        case "dmae", "mimco": return config.objective.distill.modality == .audio ? (true, false) : (false, true)
        default: return (true, false)
        }
    }

    /// The video tower's tokens as a grid: tubelets, or with `front_end: lip_resnet` whole frames
    /// (one token a frame: tubelet 1, the patch the frame), whose pixels a decoder reconstructs.
    public static func videoTokenGrid(for config: RunConfig) -> TokenGrid {
        let video = config.model.video
        guard video.frontEnd == .lipResNet else { return tokenGrid(for: config, modality: .video) }
        return .video(channels: video.color.channels, frames: video.frames, height: video.size, width: video.size, tubelet: 1,
                      patch: video.size)
    }

    /// The lip-reading tower when the config asks for it (nil: the tubelet ViT).
    static func videoTowerBuilder(for config: RunConfig) -> (@Sendable (ParameterBuilder) -> any MultiMaskTower)? {
        guard config.model.video.frontEnd == .lipResNet else { return nil }
        let dropPath = Float(config.model.video.dropPath)
        return { b in lipReadingTower(b, config: config, dropPath: dropPath) }
    }

    /// Filterbanks are one-channel images `frames × mels` (time down, frequency across, as
    /// AudioMAE); videos `C × T × size × size` in tubelets.
    public static func tokenGrid(for config: RunConfig, modality: MaskedAutoencoder.Modality) -> TokenGrid {
        switch modality {
        case .audio:
            let audio = config.model.audio
            return .image(channels: 1, height: audio.frames, width: audio.mels, patch: audio.patch)
        case .video:
            let video = config.model.video
            return .video(channels: video.color.channels, frames: video.frames, height: video.size, width: video.size,
                          tubelet: video.tubelet, patch: video.patch)
        }
    }

    /// A one-modality student's masking: `config.masking` over `grid`, except that a lip-reading
    /// tower (one token a frame) hides `masking.ratio` of its frames in time spans of
    /// `masking.span_length`, as its 3-D stem would see through single hidden frames.
    static func studentMasking(for config: RunConfig, grid: TokenGrid) -> any MaskingStrategy {
        guard config.model.video.frontEnd == .lipResNet, case .video = grid else { return masking(for: config, grid: grid) }
        return TimeSpanMasking(tokens: grid.tokens, ratio: Float(config.masking.ratio), spanLength: config.masking.spanLength)
    }

    /// The generator `config.masking` describes over `grid`; `RunConfig.validate` has ruled out
    /// the pairs that make no sense (tube masking of a spectrogram, blocks or spans in a video).
    public static func masking(for config: RunConfig, grid: TokenGrid) -> any MaskingStrategy {
        let ratio = Float(config.masking.ratio)
        switch (config.masking.kind, grid) {
        case (.tube, let .video(_, frames, height, width, tubelet, patch)):
            return TubeMasking(frames: frames / tubelet, spatial: (height / patch) * (width / patch), ratio: ratio)
        case (.inverseBlock, let .image(_, height, width, patch)):
            return InverseBlockMasking(height: height / patch, width: width / patch, ratio: ratio,
                                       blockSize: config.masking.blockSize)
        case (.timeSpan, _):
            return TimeSpanMasking(tokens: grid.tokens, ratio: ratio, spanLength: config.masking.spanLength)
        default:
            return RandomMasking(tokens: grid.tokens, ratio: ratio)
        }
    }

    static func size(_ transformer: TransformerConfig) -> TransformerSize {
        TransformerSize(dim: transformer.dim, depth: transformer.depth, heads: transformer.heads,
                        mlpRatio: Float(transformer.mlpRatio))
    }
}
