// The configuration of a pretraining run: model sizes, masking, objective, data, optimizer,
// schedule and loop settings, each with a default, its YAML key and its rules.
import Foundation

/// A whole pretraining run, as `configs/*.yaml` spells it. `RunConfig()` is a ViT-Tiny AudioMAE on
/// the built-in synthetic corpus; every key a file leaves out keeps the value shown here.
public struct RunConfig: ConfigSection, Equatable, Sendable {
    /// Names the run in logs and its default folder.
    public var name = "run"
    /// Keys every random draw (initialisation, masks, shuffling, augmentation).
    public var seed = 0
    public var model = ModelConfig()
    public var masking = MaskingConfig()
    public var objective = ObjectiveConfig()
    public var data = DataConfig()
    public var optim = OptimConfig()
    public var schedule = ScheduleConfig()
    public var train = TrainConfig()
    public var probe = ProbeConfig()
    /// The fine-tuning task; null pretrains.
    public var task: TaskConfig? = nil

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("name", \.name), .init("seed", \.seed), .init("model", \.model), .init("masking", \.masking),
         .init("objective", \.objective), .init("data", \.data), .init("optim", \.optim),
         .init("schedule", \.schedule), .init("train", \.train), .init("probe", \.probe), .init("task", \.task)]
    }

    /// Rules across sections, run after every section has passed its own.
    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["name"].require(!name.isEmpty && !name.contains("/"), "must be a non-empty name without '/', got '\(name)'")
        try path["seed"].requireNonNegative(seed)
        try path["model.audio.mels"].require(model.audio.mels == data.mels,
            "must equal data.mels (\(data.mels)): the towers read the filterbanks the loader makes, got \(model.audio.mels)")
        try path["schedule.warmup_steps"].require(schedule.warmupSteps <= train.steps,
            "must not exceed train.steps (\(train.steps)), got \(schedule.warmupSteps)")
        try path["schedule.min_lr"].require(schedule.minLR <= optim.lr,
            "must not exceed optim.lr (\(optim.lr)), got \(schedule.minLR)")
        try validateAudioVisual(at: path)
        if let size = data.decodeSize {
            try path["data.decode_size"].require(size >= model.video.size,
                "must be at least model.video.size (\(model.video.size)), the crop cut from it, got \(size)")
        }
        if let task, task.kind == .word, task.headNorm {
            try path["train.batch_size"].require(train.batchSize >= 2,
                "must be at least 2 with task.head_norm: the word head standardises over the batch (set task.head_norm: false for batches of 1), got \(train.batchSize)")
        }
        if task != nil {
            try path["train.probe_every"].require(train.probeEvery == 0,
                "must be 0 in a fine-tuning run (task): probes score pretraining encoders; the run evaluates its task itself")
            try path["data.unlabelled_speakers"].require(data.unlabelledSpeakers == 0,
                "must be 0 in a fine-tuning run (task): fine-tunes read the labelled corpus, got \(data.unlabelledSpeakers)")
        }
        if let task, data.wordClipsPerSpeaker > 0 {
            try path["data.word_clips_per_speaker"].require(task.syntheticClips != .sentences,
                "that corpus holds one-word clips only; a \(task.kind.rawValue) task reads sentences")
        }
        if let kinds = ObjectiveConfig.maskingKinds[objective.name], task == nil {
            try path["masking.kind"].require(kinds.contains(masking.kind),
                "\(masking.kind.rawValue) masking does not fit \(objective.name)'s tokens; use "
                    + kinds.map(\.rawValue).joined(separator: " or "))
        }
        try validateTowerKinds(at: path)
        try validatePositionWidths(at: path)
        try objective.distill.validate(self, at: path)
    }

    /// Samples per optimizer step: `train.batch_size × train.grad_accumulation`.
    public var effectiveBatchSize: Int { train.batchSize * train.gradAccumulation }

    /// The manifest must exist. Run by `load(…, checkingFiles: true)` before training, not when a
    /// config is only shown, since the recipes name datasets a machine may not have.
    public func checkFiles(at path: ConfigPath) throws(ConfigError) {
        if let valid = data.validManifest {
            try path["data.valid_manifest"].require(FileManager.default.fileExists(atPath: valid), "no such file \(valid)")
        }
        if let manifest = data.manifest {
            try path["data.manifest"].require(FileManager.default.fileExists(atPath: manifest), "no such file \(manifest)")
        }
        if let test = data.testManifest {
            try path["data.test_manifest"].require(FileManager.default.fileExists(atPath: test), "no such file \(test)")
        }
        if let vocabulary = task?.vocabulary {
            try path["task.vocabulary"].require(FileManager.default.fileExists(atPath: vocabulary), "no such file \(vocabulary)")
        }
        try probe.checkFiles(at: path["probe"])
        try objective.checkFiles(at: path["objective"])
        try objective.distill.checkTeacherFiles(at: path)
    }
}

// MARK: - Model

/// The encoders and the MAE decoder.
public struct ModelConfig: ConfigSection, Equatable, Sendable {
    public var audio = AudioTowerConfig()
    public var video = VideoTowerConfig()
    /// A narrower, shallower stack than the encoders, as in MAE.
    public var decoder = TransformerConfig(dim: 192, depth: 4, heads: 3)

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("audio", \.audio), .init("video", \.video), .init("decoder", \.decoder)]
    }
}

/// Width, depth and heads of a stack of pre-norm transformer blocks (ViT-Tiny by default).
public struct TransformerConfig: ConfigSection, Equatable, Sendable {
    public var dim = 192
    public var depth = 12
    public var heads = 3
    /// Hidden width of the MLP over `dim` (4 in ViT).
    public var mlpRatio = 4.0

    public init() {}

    public init(dim: Int, depth: Int, heads: Int, mlpRatio: Double = 4) {
        (self.dim, self.depth, self.heads, self.mlpRatio) = (dim, depth, heads, mlpRatio)
    }

    public static var fields: [ConfigField<Self>] {
        [.init("dim", \.dim), .init("depth", \.depth), .init("heads", \.heads), .init("mlp_ratio", \.mlpRatio)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["depth"].requirePositive(depth)
        try path["heads"].requirePositive(heads)
        try path["dim"].requireMultiple(dim, of: heads, at: path["heads"])
        try path["mlp_ratio"].requirePositive(mlpRatio)
    }
}

/// An encoder: a transformer whose keys sit beside the tower's own (`model.audio.dim`), read and
/// set as the tower's properties too (`config.model.audio.dim`).
@dynamicMemberLookup
public protocol TowerConfig: ConfigSection {
    var transformer: TransformerConfig { get set }
    /// Stochastic depth rate of the last block.
    var dropPath: Double { get set }
    /// The tower's own keys, after the transformer's and `drop_path`.
    static var frontEndFields: [ConfigField<Self>] { get }
    /// The tower's own rules, after the transformer's.
    func validateFrontEnd(at path: ConfigPath) throws(ConfigError)
}

extension TowerConfig {
    public subscript<Value>(dynamicMember property: WritableKeyPath<TransformerConfig, Value>) -> Value {
        get { transformer[keyPath: property] }
        set { transformer[keyPath: property] = newValue }
    }

    public static var fields: [ConfigField<Self>] {
        TransformerConfig.fields.map { $0.flattened(into: \.transformer) } + [.init("drop_path", \.dropPath)]
            + frontEndFields
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try transformer.validate(at: path)
        try path["drop_path"].requireFraction(dropPath, openAbove: true)
        try validateFrontEnd(at: path)
    }
}

/// How the audio tower cuts the filterbank into tokens.
public enum AudioTokens: String, ConfigChoice, Sendable {
    /// Square `patch × patch` patches (AudioMAE).
    case patches
    /// One token per video frame: the filterbank frames of that frame, all mels (RAVEn's frame
    /// alignment, as AV-HuBERT stacks filterbank frames).
    case frames
}

/// A ViT over log-mel filterbank patches, as AudioMAE: `mels × frames` cut into `patch × patch`
/// (or, with `tokens: frames`, one token per video frame).
public struct AudioTowerConfig: TowerConfig, Equatable, Sendable {
    public var transformer = TransformerConfig()
    public var tokens = AudioTokens.patches
    /// 0 in AudioMAE's pretraining.
    public var dropPath = 0.0
    /// Side of a square patch, in mel bins and in 10 ms frames.
    public var patch = 16
    public var mels = 128
    /// Filterbank frames per clip (10 ms each); clips are cut or padded to this length.
    public var frames = 1024

    public init() {}

    public static var frontEndFields: [ConfigField<Self>] {
        [.init("tokens", \.tokens), .init("patch", \.patch), .init("mels", \.mels), .init("frames", \.frames)]
    }

    public func validateFrontEnd(at path: ConfigPath) throws(ConfigError) {
        try path["patch"].requirePositive(patch)
        guard tokens == .patches else {
            try path["mels"].requirePositive(mels)
            try path["frames"].requirePositive(frames)
            return
        }
        try path["mels"].requireMultiple(mels, of: patch, at: path["patch"])
        try path["frames"].requireMultiple(frames, of: patch, at: path["patch"])
    }
}

/// Pixel format the video tower reads.
public enum VideoColor: String, ConfigChoice, Sendable {
    case rgb, gray

    public var channels: Int { self == .rgb ? 3 : 1 }
}

/// What reads the frames before the video tower's transformer.
public enum VideoFrontEnd: String, ConfigChoice, Sendable {
    /// Tubelet embedding, as VideoMAE's ViT.
    case tubelets
    /// RAVEn's lip-reading front-end (3-D convolution stem, per-frame ResNet-18): one token a frame.
    case lipResNet = "lip_resnet"
}

/// A ViT over `tubelet × patch × patch` tubelets, as VideoMAE (or, with `front_end: lip_resnet`,
/// RAVEn's lip-reading front-end and a transformer over its per-frame features).
public struct VideoTowerConfig: TowerConfig, Equatable, Sendable {
    public var transformer = TransformerConfig()
    public var frontEnd = VideoFrontEnd.tubelets
    /// The lip-reading ResNet's first-stage width (64 in RAVEn: 512 features a frame).
    public var resnetWidth = 64
    /// 0 in VideoMAE's pretraining scripts.
    public var dropPath = 0.0
    /// Frames per tubelet.
    public var tubelet = 2
    /// Side of a tubelet, in pixels.
    public var patch = 16
    /// Frames per clip.
    public var frames = 16
    /// Side of the square frames, in pixels.
    public var size = 224
    public var color = VideoColor.rgb

    public init() {}

    public static var frontEndFields: [ConfigField<Self>] {
        [.init("front_end", \.frontEnd), .init("resnet_width", \.resnetWidth), .init("tubelet", \.tubelet),
         .init("patch", \.patch), .init("frames", \.frames), .init("size", \.size), .init("color", \.color)]
    }

    public func validateFrontEnd(at path: ConfigPath) throws(ConfigError) {
        try path["resnet_width"].requirePositive(resnetWidth)
        try path["tubelet"].requirePositive(tubelet)
        try path["patch"].requirePositive(patch)
        guard frontEnd == .tubelets else {
            try path["frames"].requirePositive(frames)
            try path["size"].requirePositive(size)
            return
        }
        try path["frames"].requireMultiple(frames, of: tubelet, at: path["tubelet"])
        try path["size"].requireMultiple(size, of: patch, at: path["patch"])
    }
}

// MARK: - Masking and objective

/// How the masking generator picks the hidden tokens.
public enum MaskingKind: String, ConfigChoice, Sendable {
    /// Uniform per token (MAE, AudioMAE).
    case random
    /// The same spatial positions in every frame (VideoMAE).
    case tube
    /// Visible blocks, the rest masked (data2vec 2.0).
    case inverseBlock = "inverse_block"
    /// Spans along time to an exact ratio (wav2vec 2.0, HuBERT).
    case timeSpan = "time_span"
    /// Every frame starts a span with probability `start_prob` (RAVEn).
    case spanStart = "span_start"
}

public struct MaskingConfig: ConfigSection, Equatable, Sendable {
    public var kind = MaskingKind.random
    /// Fraction of tokens hidden from the encoder: 0.8 in AudioMAE, 0.9 in VideoMAE.
    public var ratio = 0.8
    /// Side of each kept block, in tokens (`inverse_block`; data2vec 2.0's mask_length).
    public var blockSize = 3
    /// Tokens per masked span (`time_span`, `span_start`; 10 in wav2vec 2.0 and HuBERT, 3 in RAVEn).
    public var spanLength = 10
    /// The chance that a frame starts a span (`span_start`; 0.2 in RAVEn).
    public var startProb = 0.2

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("kind", \.kind), .init("ratio", \.ratio), .init("block_size", \.blockSize),
         .init("span_length", \.spanLength), .init("start_prob", \.startProb)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["ratio"].requireFraction(ratio, openBelow: true, openAbove: true)
        try path["block_size"].requirePositive(blockSize)
        try path["span_length"].requirePositive(spanLength)
        try path["start_prob"].requireFraction(startProb)
    }
}

public struct ObjectiveConfig: ConfigSection, Equatable, Sendable {
    /// The objectives Duet has; each new objective adds its name here.
    public static let names = ["mae-audio", "mae-video", "mavil", "data2vec2", "raven"] + DistillConfig.names
    /// The masking kinds that fit each objective's token layout: tubes need time, blocks a 2-D
    /// patch grid, and time spans a sequence of frames (the audio-visual objectives).
    public static let maskingKinds: [String: [MaskingKind]] = [
        "mae-audio": [.random, .inverseBlock], "mae-video": [.random, .tube],
        // MAViL masks both modalities at random; data2vec2 uses time spans for audio and inverse
        // blocks for video whatever `kind` says (its ratios live in objective.data2vec2).
        "mavil": [.random], "data2vec2": [.random, .timeSpan, .inverseBlock],
        "mae-image": [.random, .inverseBlock], "mvd": [.tube, .random], "distill-audio": [.random, .inverseBlock],
        // RAVEn: every frame starts a span with masking.start_prob.
        "raven": [.spanStart],
    ]

    /// One of `names`.
    public var name = "mae-audio"
    /// Regress per-patch normalised targets (MAE's norm_pix_loss).
    public var normPixLoss = true
    /// A frozen teacher's checkpoint (MAViL stage 2): a checkpoint folder, a run folder, or
    /// `RUN/checkpoints/latest`.
    public var teacher: String? = nil
    public var mavil = MAViLConfig()
    public var data2vec2 = Data2Vec2Config()
    /// `raven`'s own keys (targets, momentum, predictors, loss weights).
    public var raven = RavenConfig()
    /// The distillation objectives' keys (DistillConfig.swift), spelled at this level.
    public var distill = DistillConfig()

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("name", \.name), .init("norm_pix_loss", \.normPixLoss), .init("teacher", \.teacher),
         .init("mavil", \.mavil), .init("data2vec2", \.data2vec2), .init("raven", \.raven)]
            + DistillConfig.fields.map { $0.flattened(into: \.distill) }
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["name"].require(Self.names.contains(name), choiceReason(names: Self.names, got: name))
        try path["teacher"].require(teacher?.isEmpty != true, "must be a checkpoint path, or null")
    }

    /// The teacher a recipe needs must be named before a run starts; a recipe file may leave it
    /// out (it is given with --set), so this is not part of `validate`.
    public func checkFiles(at path: ConfigPath) throws(ConfigError) {
        if name == "mavil" && mavil.stage == 2 {
            try path["teacher"].require(teacher != nil,
                "MAViL stage 2 needs a stage-1 checkpoint: --set objective.teacher=RUN/checkpoints/latest")
        }
    }
}

// MARK: - Data

/// What the loader does with a file it cannot decode.
public enum BadFilePolicy: String, ConfigChoice, Sendable {
    /// Skip it, count it by reason and report it.
    case skip
    /// Stop the run.
    case fail
}

/// Which of the synthetic corpus's clips a run with no manifest trains and holds out on.
public enum SyntheticClips: String, ConfigChoice, Sendable {
    /// Every clip of the split (`train.tsv`, `valid.tsv`).
    case all
    /// The one-word clips (`words-train.tsv`): each word centred in its 1.28 s clip.
    case words
    /// The 2–4-word clips (`sentences-train.tsv`): continuous speech, as LRS3's utterances, so a
    /// random window puts speech anywhere in it (pretraining then cannot read silence from a
    /// frame's position, as it can on centred words).
    case sentences

    /// The manifest of `split` (train, valid, test) in the corpus folder.
    public func manifest(split: String) -> String {
        switch self {
        case .all: return "\(split).tsv"
        case .words: return "words-\(split).tsv"
        case .sentences: return "sentences-\(split).tsv"
        }
    }
}

public struct DataConfig: ConfigSection, Equatable, Sendable {
    /// The fairseq-style TSV manifest; nil (`null`) trains on the built-in synthetic corpus.
    public var manifest: String? = nil
    /// With no manifest: the synthetic corpus's clips a pretraining run reads.
    public var syntheticClips = SyntheticClips.all
    /// With no manifest and N > 0, pretraining reads, instead of the labelled corpus's training
    /// speakers, an unlabelled synthetic corpus of N other speakers (`SyntheticCorpusCache.unlabelled`:
    /// 16 sentence clips each), as RAVEn pretrains on LRS3 + VoxCeleb2 and is probed on LRW. Probes
    /// and fine-tunes keep the labelled corpus. 0: the labelled corpus's training speakers.
    public var unlabelledSpeakers = 0
    /// With no manifest and N > 0, the labelled corpus is 24 speakers × N one-word clips
    /// (`SyntheticCorpusCache.corpus(seed:wordClipsPerSpeaker:)`) instead of the default 24 × 40
    /// clips of words and sentences, whose 384 training words leave about one clip a word at
    /// `label_fraction` 0.1. Fine-tunes, probes and pretraining on the labelled corpus read it.
    public var wordClipsPerSpeaker = 0
    /// The held-out manifest evaluated every `train.eval_every` steps; nil evaluates nothing
    /// (with the synthetic corpus, its valid split).
    public var validManifest: String? = nil
    public var clipSeconds = 10.0
    /// Audio is resampled to this rate (Hz).
    public var sampleRate = 16_000
    /// Video frames are sampled at this rate (frames per second).
    public var fps = 25.0
    /// Kaldi filterbank mel bins.
    public var mels = 128
    /// Background decoding threads.
    public var numWorkers = 2
    public var onBadFile = BadFilePolicy.skip
    /// With `skip`, the run stops once more than this fraction of the files seen were bad.
    public var maxBadFraction = 0.01
    /// The test manifest `duet evaluate --split test` reads; nil: the synthetic corpus's test split.
    public var testManifest: String? = nil
    /// Frames are decoded at this size and cut to model.video.size (random crops in training,
    /// the centre in evaluation), as lip reading cuts 88² from 96²; nil decodes at the tower's size.
    public var decodeSize: Int? = nil
    /// `dataset`: frames normalised with the dataset's pixel mean and std only; `clip_mean`: then
    /// every pixel minus its mean over the clip's frames (per-utterance mean normalisation, as
    /// Kaldi's CMVN does for filterbanks), in pretraining, fine-tuning, probes and export alike.
    public var videoNorm = VideoNorm.dataset
    /// The fraction of the training clips whose labels a fine-tuning run uses (a stratified,
    /// seeded subset: the label-deficient setting of data2vec keyword spotting).
    public var labelFraction = 1.0
    public var augment = AugmentConfig()

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("manifest", \.manifest), .init("valid_manifest", \.validManifest), .init("clip_seconds", \.clipSeconds),
         .init("sample_rate", \.sampleRate),
         .init("fps", \.fps), .init("mels", \.mels), .init("num_workers", \.numWorkers),
         .init("on_bad_file", \.onBadFile), .init("max_bad_fraction", \.maxBadFraction),
         .init("test_manifest", \.testManifest), .init("decode_size", \.decodeSize), .init("label_fraction", \.labelFraction),
         .init("video_norm", \.videoNorm),
         .init("synthetic_clips", \.syntheticClips), .init("unlabelled_speakers", \.unlabelledSpeakers),
         .init("word_clips_per_speaker", \.wordClipsPerSpeaker), .init("augment", \.augment)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["manifest"].require(manifest?.isEmpty != true, "must be a path, or null for the synthetic corpus")
        try path["valid_manifest"].require(validManifest?.isEmpty != true, "must be a path, or null")
        try path["clip_seconds"].requirePositive(clipSeconds)
        try path["sample_rate"].requirePositive(sampleRate)
        try path["fps"].requirePositive(fps)
        try path["mels"].requirePositive(mels)
        try path["num_workers"].requireNonNegative(numWorkers)
        try path["max_bad_fraction"].requireFraction(maxBadFraction)
        try path["test_manifest"].require(testManifest?.isEmpty != true, "must be a path, or null")
        if let decodeSize { try path["decode_size"].requirePositive(decodeSize) }
        try path["label_fraction"].require(labelFraction > 0 && labelFraction <= 1, "must be in (0, 1], got \(labelFraction)")
        // The corpus splits its speakers 70 / 15 / 15: 7 keep a training and a held-out speaker.
        try path["unlabelled_speakers"].require(unlabelledSpeakers == 0 || (7...10_000).contains(unlabelledSpeakers),
                                                "must be 0 (the labelled corpus) or 7...10000 speakers, got \(unlabelledSpeakers)")
        try path["unlabelled_speakers"].require(unlabelledSpeakers == 0 || manifest == nil,
                                                "reads the synthetic corpus; set it to 0 with data.manifest")
        try path["unlabelled_speakers"].require(unlabelledSpeakers == 0 || syntheticClips != .words,
                                                "the unlabelled corpus holds sentences only; data.synthetic_clips is words")
        try path["word_clips_per_speaker"].require((0...10_000).contains(wordClipsPerSpeaker),
                                                   "must be 0 (the default corpus) or 1...10000 clips, got \(wordClipsPerSpeaker)")
        try path["word_clips_per_speaker"].require(wordClipsPerSpeaker == 0 || manifest == nil,
                                                   "reads the synthetic corpus; set it to 0 with data.manifest")
        try path["word_clips_per_speaker"].require(wordClipsPerSpeaker == 0 || syntheticClips != .sentences,
                                                   "that corpus holds one-word clips only; data.synthetic_clips is sentences")
    }
}

/// How frames are normalised beyond the dataset's pixel constants (`data.video_norm`).
public enum VideoNorm: String, ConfigChoice, Sendable {
    case dataset
    case clipMean = "clip_mean"
}

// MARK: - Optimisation

public enum OptimizerName: String, ConfigChoice, Sendable {
    case adamw, sgd
}

/// The optimizer. `lr` is the absolute peak learning rate, used as written: the MAE papers'
/// `blr × effective batch / 256` is worked out in the recipes, not applied here, so that
/// `--set optim.lr=…` always means the rate the run uses.
public struct OptimConfig: ConfigSection, Equatable, Sendable {
    public var name = OptimizerName.adamw
    /// Peak learning rate, reached at the end of the warm-up: MAE's base rate at batch 256.
    public var lr = 1.5e-4
    /// AdamW's (β1, β2); MAE uses β2 = 0.95.
    public var betas = [0.9, 0.95]
    public var weightDecay = 0.05
    public var eps = 1e-8
    /// SGD's momentum.
    public var momentum = 0.9
    /// Sub-modules kept at their starting values (parameter-name prefixes, such as
    /// `video_encoder.frontend`): a learning-rate scale of 0 (`FrozenParameters`).
    public var frozen: [String] = []

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("name", \.name), .init("lr", \.lr), .init("betas", \.betas), .init("weight_decay", \.weightDecay),
         .init("eps", \.eps), .init("momentum", \.momentum), .init("frozen", \.frozen)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["lr"].requirePositive(lr)
        try path["betas"].require(betas.count == 2, "must be two numbers [beta1, beta2], got \(betas.count)")
        for (index, beta) in betas.enumerated() { try path["betas"][index].requireFraction(beta, openAbove: true) }
        try path["weight_decay"].requireNonNegative(weightDecay)
        try path["eps"].requirePositive(eps)
        try path["momentum"].requireFraction(momentum, openAbove: true)
        for (index, prefix) in frozen.enumerated() {
            try path["frozen"][index].require(!prefix.isEmpty && !prefix.hasSuffix("."), "must be a parameter-name prefix such as video_encoder.frontend, got '\(prefix)'")
        }
    }
}

public enum ScheduleKind: String, ConfigChoice, Sendable {
    /// Linear warm-up, then a half cosine from `lr` down to `min_lr` at the last step.
    case cosine
    /// Linear warm-up, then `lr` throughout.
    case constant
    /// Linear warm-up, then a straight line down to `min_lr`.
    case linear
}

public struct ScheduleConfig: ConfigSection, Equatable, Sendable {
    public var kind = ScheduleKind.cosine
    /// Steps of linear warm-up from 0 to `optim.lr`.
    public var warmupSteps = 100
    public var minLR = 0.0

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("kind", \.kind), .init("warmup_steps", \.warmupSteps), .init("min_lr", \.minLR)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["warmup_steps"].requireNonNegative(warmupSteps)
        try path["min_lr"].requireNonNegative(minLR)
    }
}

// MARK: - The loop

/// Counts are in optimizer steps; an `…_every` of 0 turns that action off.
public struct TrainConfig: ConfigSection, Equatable, Sendable {
    public var steps = 1000
    /// Samples per forward pass.
    public var batchSize = 8
    /// Forward passes whose gradients are summed before each optimizer step.
    public var gradAccumulation = 1
    /// Maximum global gradient norm; null leaves gradients unclipped (as MAE).
    public var clipGrad: Double? = nil
    public var evalEvery = 200
    public var checkpointEvery = 500
    /// Checkpoints kept on disk; older ones are deleted.
    public var keepCheckpoints = 3
    /// Steps between plain progress lines and metrics records.
    public var logEvery = 10
    /// The run stops when more steps than this in a row have a non-finite loss or gradient.
    public var maxNonfiniteInARow = 5
    /// Steps between linear probes and retrieval (see `probe:`), which also run at the end; 0: never.
    public var probeEvery = 0

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("steps", \.steps), .init("batch_size", \.batchSize), .init("grad_accumulation", \.gradAccumulation),
         .init("clip_grad", \.clipGrad), .init("eval_every", \.evalEvery), .init("checkpoint_every", \.checkpointEvery),
         .init("keep_checkpoints", \.keepCheckpoints), .init("log_every", \.logEvery),
         .init("max_nonfinite_in_a_row", \.maxNonfiniteInARow), .init("probe_every", \.probeEvery)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["steps"].requirePositive(steps)
        try path["batch_size"].requirePositive(batchSize)
        try path["grad_accumulation"].requirePositive(gradAccumulation)
        if let clipGrad { try path["clip_grad"].requirePositive(clipGrad) }
        try path["eval_every"].requireNonNegative(evalEvery)
        try path["checkpoint_every"].requireNonNegative(checkpointEvery)
        try path["keep_checkpoints"].requirePositive(keepCheckpoints)
        try path["log_every"].requirePositive(logEvery)
        try path["max_nonfinite_in_a_row"].requirePositive(maxNonfiniteInARow)
        try path["probe_every"].requireNonNegative(probeEvery)
    }
}
