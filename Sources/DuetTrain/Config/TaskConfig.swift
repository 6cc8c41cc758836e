// The `task` section of a fine-tuning run (word classification or CTC sentence recognition on
// video, audio or both) and the `data.augment` section (the training augmentations of the papers).

/// What a fine-tuning run learns to predict.
public enum TaskKind: String, ConfigChoice, Sendable {
    /// One class per clip (LRW, keyword spotting): temporal mean-pool, then a Linear; top-1 accuracy.
    case word
    /// A character sequence per clip (LRS3-style sentences): a Linear per time step trained with
    /// CTC, decoded greedily or by beam search; WER and CER.
    case ctc
}

/// The towers a fine-tuning run reads.
public enum TaskModality: String, ConfigChoice, Sendable {
    case video, audio, audiovisual

    public var hasAudio: Bool { self != .video }
    public var hasVideo: Bool { self != .audio }
}

/// A fine-tuning task. A config with a `task` section fine-tunes (`duet finetune`); without one it
/// pretrains.
public struct TaskConfig: ConfigSection, Equatable, Sendable {
    public var kind = TaskKind.word
    public var modality = TaskModality.video
    /// The checkpoint (or run folder) whose encoder towers start the run; null trains from scratch.
    public var initFrom: String? = nil
    /// Optimizer steps with the encoder frozen and only the head trained (0: none).
    public var freezeEncoderSteps = 0
    /// Layer-wise learning-rate decay (BEiT / MAE fine-tuning: 0.65–0.75); 1 turns it off.
    public var layerDecay = 1.0
    /// Label smoothing of the word classifier's cross-entropy (0.1 in the lip-reading papers).
    public var labelSmoothing = 0.0
    /// Standardise the pooled features before the word classifier (a BatchNorm1d without
    /// weights, as MAE's linear probe does); false feeds them to the Linear as they are.
    public var headNorm = true
    /// The word list class labels index (`.lbl` lines are its 0-based lines); null: the
    /// synthetic corpus's vocab.txt, or vocab.txt beside data.manifest.
    public var vocabulary: String? = nil
    /// CTC beam width in evaluation; 1 decodes greedily.
    public var beamSize = 8

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("kind", \.kind), .init("modality", \.modality), .init("init", \.initFrom),
         .init("freeze_encoder_steps", \.freezeEncoderSteps), .init("layer_decay", \.layerDecay),
         .init("label_smoothing", \.labelSmoothing), .init("head_norm", \.headNorm), .init("vocabulary", \.vocabulary),
         .init("beam_size", \.beamSize)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["init"].require(initFrom?.isEmpty != true, "must be a checkpoint or run folder, or null to train from scratch")
        try path["freeze_encoder_steps"].requireNonNegative(freezeEncoderSteps)
        try path["layer_decay"].require(layerDecay > 0 && layerDecay <= 1, "must be in (0, 1], got \(layerDecay)")
        try path["label_smoothing"].requireFraction(labelSmoothing, openAbove: true)
        try path["vocabulary"].require(vocabulary?.isEmpty != true, "must be a path, or null")
        try path["beam_size"].requirePositive(beamSize)
        try path["kind"].require(!(kind == .ctc && modality == .audiovisual),
                                 "ctc runs on one modality (task.modality video or audio); audio-visual fusion is for word tasks")
    }

    /// The label files' extension beside each manifest: classes (`.lbl`) or transcripts (`.wrd`).
    public var labelExtension: String { kind == .word ? "lbl" : "wrd" }

    /// The synthetic corpus's clips of this task: the one-word clips or the sentences.
    public var syntheticClips: SyntheticClips { kind == .word ? .words : .sentences }
}

/// Training augmentations, applied to training batches only (evaluation takes centre crops).
public struct AugmentConfig: ConfigSection, Equatable, Sendable {
    /// Probability of mirroring a clip's frames left to right.
    public var flip = 0.5
    /// Video time masking (RAVEn, Auto-AVSR): masks of up to `time_mask_frames` frames set to 0.
    public var timeMasks = 0
    public var timeMaskFrames = 0
    /// SpecAugment on filterbanks: time masks of up to `spec_time_width` frames and frequency
    /// masks of up to `spec_freq_width` bins (AudioMAE fine-tuning: 192 and 48).
    public var specTimeMasks = 0
    public var specTimeWidth = 0
    public var specFreqMasks = 0
    public var specFreqWidth = 0
    /// Per-clip photometric jitter of the frames: a contrast factor within 1 ± `contrast` and a
    /// brightness offset within ± `brightness` (in standard deviations of the normalised pixels).
    public var contrast = 0.0
    public var brightness = 0.0

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("flip", \.flip), .init("time_masks", \.timeMasks), .init("time_mask_frames", \.timeMaskFrames),
         .init("spec_time_masks", \.specTimeMasks), .init("spec_time_width", \.specTimeWidth),
         .init("spec_freq_masks", \.specFreqMasks), .init("spec_freq_width", \.specFreqWidth),
         .init("contrast", \.contrast), .init("brightness", \.brightness)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["flip"].requireFraction(flip)
        try path["contrast"].require(contrast >= 0 && contrast < 1, "must be in [0, 1): a contrast factor within 1 ± it, got \(contrast)")
        try path["brightness"].require(brightness >= 0, "must be zero or more, got \(brightness)")
        for (key, value) in [("time_masks", timeMasks), ("time_mask_frames", timeMaskFrames), ("spec_time_masks", specTimeMasks),
                             ("spec_time_width", specTimeWidth), ("spec_freq_masks", specFreqMasks),
                             ("spec_freq_width", specFreqWidth)] {
            try path[key].requireNonNegative(value)
        }
    }
}
