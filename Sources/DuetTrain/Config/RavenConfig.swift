// `objective.raven`: RAVEn's keys (Haliassos et al. 2022) and BRAVEn's variant (2024): the targets,
// the teachers' momentum, the predictors and the loss weights; and the tower rules RAVEn needs
// (one audio token per video time step).
import Foundation

/// What the teachers give as targets.
public enum RavenTargets: String, ConfigChoice, Sendable {
    /// The teacher encoder's output (RAVEn).
    case raven
    /// The mean of every block's output, instance-normalised over time (BRAVEn).
    case braven
}

/// What the video student predicts.
public enum RavenVideoToAudioTargets: String, ConfigChoice, Sendable {
    /// The audio teacher's targets (RAVEn, BRAVEn).
    case teacher
    /// The clip's filterbank per time step, instance-normalised over time (LiRA's acoustic targets).
    case filterbank
}

/// How the towers' transformers know where a token sits in time.
public enum RavenPositions: String, ConfigChoice, Sendable {
    /// Fixed sine-cosine positions added to the tokens (MAE's table).
    case absolute
    /// Rotary positions on the queries and keys (RoPE): relative positions only, nothing added to
    /// the tokens, in the spirit of RAVEn's relative-position attention.
    case rotary
}

public struct RavenConfig: ConfigSection, Equatable, Sendable {
    public var targets = RavenTargets.raven
    /// `teacher` (RAVEn) or `filterbank`: the video student regresses the clip's own log-mel
    /// frames, as LiRA (Ma et al. 2021) regresses acoustic features from the lips.
    public var videoToAudioTargets = RavenVideoToAudioTargets.teacher
    /// The teachers' EMA momentum at step 0, rising to 1 along a half cosine (RAVEn: 0.999).
    public var momentum = 0.999
    /// null: the video mask stretched over the audio masks the audio student (RAVEn); a number:
    /// the audio student draws its own span-start mask with it (BRAVEn masks audio harder).
    public var audioStartProb: Double? = nil
    /// The three predictors (RAVEn Base: 512 wide, 8 heads, 2 blocks).
    public var predictor = TransformerConfig(dim: 512, depth: 2, heads: 8)
    /// The video student's predictor depth when it differs (BRAVEn: 1); null: `predictor.depth`.
    public var videoPredictorDepth: Int? = nil
    /// LayerScale's initial value in the towers' blocks (RAVEn: 0.1); null: no LayerScale.
    public var layerScale: Double? = 0.1
    /// Positions in the lip-reading and filterbank-frame towers' blocks.
    public var positions = RavenPositions.absolute
    /// Loss weights: video student → audio targets, audio → audio, audio → video.
    public var weightV2A = 1.0
    public var weightA2A = 1.0
    public var weightA2V = 1.0

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("targets", \.targets), .init("momentum", \.momentum), .init("audio_start_prob", \.audioStartProb),
         .init("predictor", \.predictor), .init("video_predictor_depth", \.videoPredictorDepth),
         .init("layer_scale", \.layerScale), .init("weight_v2a", \.weightV2A), .init("weight_a2a", \.weightA2A),
         .init("weight_a2v", \.weightA2V), .init("video_to_audio_targets", \.videoToAudioTargets),
         .init("positions", \.positions)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["momentum"].requireFraction(momentum, openBelow: true)
        if let audioStartProb { try path["audio_start_prob"].requireFraction(audioStartProb) }
        if let videoPredictorDepth { try path["video_predictor_depth"].requirePositive(videoPredictorDepth) }
        if let layerScale { try path["layer_scale"].requirePositive(layerScale) }
        for (key, weight) in [("weight_v2a", weightV2A), ("weight_a2a", weightA2A), ("weight_a2v", weightA2V)] {
            try path[key].requireNonNegative(weight)
        }
    }
}

extension RunConfig {
    /// Filterbank frames (10 ms) per video frame: 4 at 25 fps; nil when the rates do not divide.
    public var filterbankFramesPerVideoFrame: Int? {
        let exact = 100 / data.fps
        return abs(exact - exact.rounded()) < 1e-9 && exact >= 1 ? Int(exact.rounded()) : nil
    }

    /// Whether the run builds RAVEn's lip-reading tower for its video: `front_end: lip_resnet`
    /// and a fine-tuning task or an objective that can take it (the others read tubelets or frames).
    var buildsLipReadingTower: Bool {
        model.video.frontEnd == .lipResNet
            && (task != nil || ["raven", "data2vec2", "mavil", "mae-video", "mvd"].contains(objective.name))
    }

    /// Video frames per time step of the video tower: 1 for the lip-reading front-end, the
    /// tubelet's length for a ViT.
    public var videoFramesPerStep: Int { model.video.frontEnd == .lipResNet ? 1 : model.video.tubelet }

    /// Filterbank frames in one audio token of `model.audio.tokens: frames` (one token per video
    /// time step); nil when the rates do not divide.
    public var filterbankFramesPerAudioToken: Int? { filterbankFramesPerVideoFrame.map { $0 * videoFramesPerStep } }

    /// Rotary positions rotate pairs of channels within each head, and only the lip-reading and
    /// filterbank-frame towers build them.
    func validateRotaryTowers(at path: ConfigPath) throws(ConfigError) {
        let key = path["objective.raven.positions"]
        let used = ObjectiveFactory.modalities(of: self)
        if used.video {
            try key.require(buildsLipReadingTower, "rotary applies to the lip-reading tower (model.video.front_end: lip_resnet); the tubelet tower adds absolute positions")
            try Self.requireEvenHeadWidth(model.video.transformer, at: path, tower: "video")
        }
        if used.audio {
            try key.require(model.audio.tokens == .frames, "rotary applies to the filterbank-frame tower (model.audio.tokens: frames); the patch tower adds absolute positions")
            try Self.requireEvenHeadWidth(model.audio.transformer, at: path, tower: "audio")
        }
    }

    private static func requireEvenHeadWidth(_ t: TransformerConfig, at path: ConfigPath, tower: String) throws(ConfigError) {
        try path["model.\(tower).heads"].require(t.dim % t.heads == 0 && (t.dim / t.heads) % 2 == 0,
            "rotary positions need an even head width (model.\(tower).dim / heads), got \(t.dim) / \(t.heads)")
    }

    /// The towers each objective can use: MAE's objectives read patches and tubelets; RAVEn one
    /// audio token per video time step, so the clip's filterbank frames must match its frames.
    func validateTowerKinds(at path: ConfigPath) throws(ConfigError) {
        if model.audio.tokens == .frames {
            guard let perToken = filterbankFramesPerAudioToken else {
                throw path["data.fps"].invalid("model.audio.tokens: frames needs a whole number of 10 ms filterbank frames per video frame, got \(data.fps) fps")
            }
            try path["model.audio.frames"].require(model.audio.frames % perToken == 0,
                "must be a multiple of \(perToken) (one audio token per video time step of \(perToken) filterbank frames), got \(model.audio.frames)")
        }
        // Rules on the towers themselves, which fine-tuning tasks build from model.* as well.
        if objective.raven.positions == .rotary {
            try validateRotaryTowers(at: path)
        }
        if buildsLipReadingTower {
            try path["model.video.color"].require(model.video.color == .gray, "the lip-reading front-end reads gray frames")
        }
        // A fine-tuning task builds its towers from model.* alone, whatever objective.name says.
        guard task == nil else { return }
        let used = ObjectiveFactory.modalities(of: self)
        // Only raven builds the filterbank-frame tower and the lip-reading tower only where
        // `buildsLipReadingTower` says; every other objective cuts patches and tubelets from the
        // same keys, so the key that would be ignored is refused.
        if used.audio && objective.name != "raven" {
            try path["model.audio.tokens"].require(model.audio.tokens == .patches,
                "\(objective.name) reads filterbank patches (only raven and fine-tunes build the frame tower), got \(model.audio.tokens.rawValue)")
        }
        if used.video && model.video.frontEnd == .lipResNet && !buildsLipReadingTower {
            throw path["model.video.front_end"].invalid(
                "\(objective.name) builds a ViT over patches or tubelets; lip_resnet is for raven, data2vec2, mavil, mae-video, mvd and fine-tunes")
        }
        switch objective.name {
        case "raven":
            try path["model.audio.tokens"].require(model.audio.tokens == .frames,
                "raven aligns audio and video frame by frame: use frames (one audio token per video time step)")
            guard let perFrame = filterbankFramesPerVideoFrame else {
                throw path["data.fps"].invalid("raven needs a whole number of 10 ms filterbank frames per video frame, got \(data.fps) fps")
            }
            let clipFrames = Int((data.clipSeconds * data.fps).rounded())
            try path["model.video.frames"].require(model.video.frames == clipFrames,
                "must be the frames of a clip, data.clip_seconds × data.fps = \(clipFrames), got \(model.video.frames)")
            let steps = model.video.frames / videoFramesPerStep
            try path["model.audio.frames"].require(model.audio.frames == steps * videoFramesPerStep * perFrame,
                "must be \(steps * videoFramesPerStep * perFrame) (model.video.frames \(model.video.frames) × \(perFrame) filterbank frames a video frame), got \(model.audio.frames)")
        default:
            break
        }
    }
}
