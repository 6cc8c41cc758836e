// `objective.data2vec2`: data2vec 2.0's modalities, clones, top-K targets, EMA schedule,
// per-modality masking, convolutional decoder and collapse thresholds (fairseq's keys in
// brackets where they differ).
public struct Data2Vec2Config: ConfigSection, Equatable, Sendable {
    /// `audio`, `video` or both: one independent branch each.
    public var modalities = ["audio", "video"]
    /// Masked clones of each sample (clone_batch).
    public var clones = 8
    /// Blocks whose instance-normalised FFN outputs are averaged (average_top_k_layers).
    public var topK = 8
    /// Layer-normalise the averaged targets (layer_norm_targets; images true, audio false).
    public var layerNormTargets = false
    /// The EMA teacher's momentum, linear from `ema_start` to `ema_end` over `ema_anneal_steps`
    /// (ema_decay, ema_end_decay, ema_anneal_end_step).
    public var emaStart = 0.999
    public var emaEnd = 0.99999
    public var emaAnnealSteps = 75_000
    /// Audio: the masked fraction of time rows, in spans of `masking.span_length` rows (mask_prob).
    public var audioMaskRatio = 0.5
    /// Video: the masked fraction of each frame's patches, kept as blocks of `masking.block_size`
    /// (inverse block masking), the same in every time step.
    public var videoMaskRatio = 0.8
    /// Noise std of the masked positions fed to the decoder (mask_noise_std).
    public var maskNoiseStd = 0.01
    public var decoderDim = 384
    public var decoderLayers = 4
    /// Odd kernel side of the decoder's convolutions over the token grid.
    public var decoderKernel = 7
    public var decoderGroups = 16
    /// Collapse: abort when the targets' or predictions' spread falls below these after
    /// `collapse_check_after` updates (min_target_var, min_pred_var; fairseq checks after 5000).
    public var minTargetVar = 0.1
    public var minPredVar = 0.01
    public var collapseCheckAfter = 5000

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("modalities", \.modalities), .init("clones", \.clones), .init("top_k", \.topK),
         .init("layer_norm_targets", \.layerNormTargets), .init("ema_start", \.emaStart), .init("ema_end", \.emaEnd),
         .init("ema_anneal_steps", \.emaAnnealSteps), .init("audio_mask_ratio", \.audioMaskRatio),
         .init("video_mask_ratio", \.videoMaskRatio), .init("mask_noise_std", \.maskNoiseStd),
         .init("decoder_dim", \.decoderDim), .init("decoder_layers", \.decoderLayers), .init("decoder_kernel", \.decoderKernel),
         .init("decoder_groups", \.decoderGroups), .init("min_target_var", \.minTargetVar), .init("min_pred_var", \.minPredVar),
         .init("collapse_check_after", \.collapseCheckAfter)]
    }

    public var usesAudio: Bool { modalities.contains("audio") }
    public var usesVideo: Bool { modalities.contains("video") }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["modalities"].require(!modalities.isEmpty && Set(modalities).count == modalities.count,
                                       "must name audio, video or both, once each, got \(modalities)")
        for (index, name) in modalities.enumerated() {
            try path["modalities"][index].require(name == "audio" || name == "video", choiceReason(names: ["audio", "video"], got: name))
        }
        try path["clones"].requirePositive(clones)
        try path["top_k"].requirePositive(topK)
        try path["ema_start"].requireFraction(emaStart)
        try path["ema_end"].requireFraction(emaEnd)
        try path["ema_anneal_steps"].requireNonNegative(emaAnnealSteps)
        try path["audio_mask_ratio"].requireFraction(audioMaskRatio, openAbove: true)
        try path["video_mask_ratio"].requireFraction(videoMaskRatio, openAbove: true)
        try path["mask_noise_std"].requireNonNegative(maskNoiseStd)
        try path["decoder_dim"].requirePositive(decoderDim)
        try path["decoder_layers"].requirePositive(decoderLayers)
        try path["decoder_kernel"].require(decoderKernel > 0 && decoderKernel % 2 == 1, "must be a positive odd number, got \(decoderKernel)")
        try path["decoder_groups"].requirePositive(decoderGroups)
        try path["decoder_dim"].requireMultiple(decoderDim, of: decoderGroups, at: path["decoder_groups"])
        try path["min_target_var"].requireNonNegative(minTargetVar)
        try path["min_pred_var"].requireNonNegative(minPredVar)
        try path["collapse_check_after"].requireNonNegative(collapseCheckAfter)
    }
}
