// The keys of the distillation objectives (`mae-image`, `mvd`, `distill-audio`, `dmae`, `mimco`),
// spelled under `objective.` beside its name: teacher files, target blocks, loss weights. dmae and
// mimco read their one teacher from `objective.teacher`, the key MAViL's stage 2 reads too.
import Foundation

/// The input a single-teacher student (dmae, mimco) learns from.
public enum StudentModality: String, ConfigChoice, Sendable {
    case audio, video
}

/// What a lip-reading video teacher hands `mvd` (`objective.video_teacher_targets`).
public enum VideoTeacherTargets: String, ConfigChoice, Sendable {
    case features, braven
}

public struct DistillConfig: ConfigSection, Equatable, Sendable {
    /// MVD's image teacher: a timm-format image ViT or a Duet `mae-image` run, checkpoint or
    /// model.safetensors; it sees every tubelet-th frame.
    public var imageTeacher: String? = nil
    /// MVD's video teacher: a VideoMAE-layout video ViT or a Duet run's video tower.
    public var videoTeacher: String? = nil
    /// distill-audio's teacher: a Duet run's audio tower (or an AudioMAE-layout file).
    public var audioTeacher: String? = nil
    /// Attention heads of the teachers; null reads them from a Duet checkpoint's config or the
    /// file's `heads` metadata, else ViT's 64 channels per head.
    public var teacherHeads: Int? = nil
    /// The teacher block (0-based) whose output is the target; the teacher runs no further.
    /// null: the last block (dmae: the one three quarters up, DMAE's 17 of ViT-L's 24).
    public var teacherBlock: Int? = nil
    /// dmae's student block (0-based) matched to the teacher's; null: three quarters up (8 of 12).
    public var studentBlock: Int? = nil
    /// LayerNorm without affine parameters on the teachers' features (MVD's --norm_feature).
    public var normTargets = false
    /// mvd with a lip-reading video teacher: `features` (the block's output, MVD's) or `braven`
    /// (the mean of the blocks' outputs up to it, each channel normalised over time: the targets
    /// a BRAVEn teacher was itself trained to predict).
    public var videoTeacherTargets = VideoTeacherTargets.features
    /// MVD's image_teacher_loss_weight and video_teacher_loss_weight.
    public var imageLossWeight = 1.0
    public var videoLossWeight = 1.0
    /// mvd and distill-audio: the weight of a smooth-L1 term on the visible tokens beside MVD's
    /// term on the hidden ones (0: MVD as published).
    public var visibleLossWeight = 0.0
    /// dmae: the weight of the feature term beside the pixel loss.
    public var distillWeight = 1.0
    /// mimco: the temperature of both contrastive reconstructions, and the image-level weight.
    public var temperature = 0.2
    public var imageLevelWeight = 1.0
    /// dmae and mimco: which tower the student and the teacher are.
    public var modality = StudentModality.video
    /// mae-image: every how many frames of a clip is an image; null: model.video.tubelet (the
    /// frames MVD's image teacher sees).
    public var frameStride: Int? = nil

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("image_teacher", \.imageTeacher), .init("video_teacher", \.videoTeacher), .init("audio_teacher", \.audioTeacher),
         .init("teacher_heads", \.teacherHeads), .init("teacher_block", \.teacherBlock),
         .init("student_block", \.studentBlock), .init("norm_targets", \.normTargets),
         .init("video_teacher_targets", \.videoTeacherTargets),
         .init("image_loss_weight", \.imageLossWeight), .init("video_loss_weight", \.videoLossWeight),
         .init("visible_loss_weight", \.visibleLossWeight),
         .init("distill_weight", \.distillWeight), .init("temperature", \.temperature),
         .init("image_level_weight", \.imageLevelWeight), .init("modality", \.modality), .init("frame_stride", \.frameStride)]
    }

    /// The objective names these keys serve.
    public static let names = ["mae-image", "mvd", "distill-audio", "dmae", "mimco"]

    /// Rules that need the rest of the run: which teacher each objective needs, blocks in range.
    /// `path` is the root of the config.
    func validate(_ config: RunConfig, at path: ConfigPath) throws(ConfigError) {
        let objective = path["objective"]
        for (key, value) in [("image_teacher", imageTeacher), ("video_teacher", videoTeacher), ("audio_teacher", audioTeacher)] {
            try objective[key].require(value?.isEmpty != true, "must be a path, or null")
        }
        if let teacherHeads { try objective["teacher_heads"].requirePositive(teacherHeads) }
        if let teacherBlock { try objective["teacher_block"].requireNonNegative(teacherBlock) }
        for (key, weight) in [("image_loss_weight", imageLossWeight), ("video_loss_weight", videoLossWeight), ("visible_loss_weight", visibleLossWeight),
                              ("distill_weight", distillWeight), ("image_level_weight", imageLevelWeight)] {
            try objective[key].requireNonNegative(weight)
        }
        try objective["temperature"].requirePositive(temperature)
        let name = config.objective.name
        switch name {
        case "mae-image":
            let stride = frameStride ?? config.model.video.tubelet
            try objective["frame_stride"].require(stride > 0 && config.model.video.frames % stride == 0,
                "must divide model.video.frames (\(config.model.video.frames)), got \(stride)")
        case "mvd":
            try objective["video_teacher"].require(imageTeacher != nil || videoTeacher != nil,
                "mvd needs objective.image_teacher, objective.video_teacher or both")
        case "distill-audio":
            try objective["audio_teacher"].require(audioTeacher != nil, "distill-audio needs a teacher file")
        case "dmae", "mimco":
            try objective["teacher"].require(config.objective.teacher != nil, "\(name) needs a teacher file or Duet run")
            if name == "dmae", let studentBlock {
                let depth = modality == .audio ? config.model.audio.depth : config.model.video.depth
                try objective["student_block"].require(studentBlock >= 0 && studentBlock < depth,
                    "must be a block of the student (0..<\(depth)), got \(studentBlock)")
            }
        default: break
        }
    }

    /// Every teacher the config names must exist (a file, a checkpoint folder or a run folder);
    /// `objective.teacher` may also be `RUN/checkpoints/latest`, resolved when the teacher loads.
    func checkTeacherFiles(at path: ConfigPath) throws(ConfigError) {
        for (key, value) in [("image_teacher", imageTeacher), ("video_teacher", videoTeacher), ("audio_teacher", audioTeacher)] {
            guard let value else { continue }
            try path["objective"][key].require(FileManager.default.fileExists(atPath: value), "no such file or folder \(value)")
        }
    }
}
