// The distillation objectives from a run's config: the student built in the run's store like any
// objective's, the teachers loaded (frozen, in their own stores) from the files the config names,
// so a teacher that does not fit stops here, before training, with the key and the file.
import DuetModels
import DuetNN
import DuetObjectives

extension ObjectiveFactory {
    /// `mae-image`, `mvd`, `distill-audio`, `dmae` or `mimco`, built into `store` (not finalised).
    static func makeDistillation(for config: RunConfig, store: ParameterStore) throws(ConfigError) -> any PretrainingObjective {
        let keys = config.objective.distill
        let decoderSize = size(config.model.decoder)
        switch config.objective.name {
        case "mae-image":
            let video = config.model.video
            let grid = frameGrid(config)
            return MaskedImageAutoencoder(store: store, grid: grid, encoderSize: size(video.transformer), decoderSize: decoderSize,
                                          masking: masking(for: config, grid: grid), frameStride: keys.frameStride ?? video.tubelet,
                                          normalizeTargets: config.objective.normPixLoss, dropPath: Float(video.dropPath))
        case "mvd", "distill-audio":
            let modality: MaskedAutoencoder.Modality = config.objective.name == "mvd" ? .video : .audio
            let grid = modality == .audio ? tokenGrid(for: config, modality: .audio) : videoTokenGrid(for: config)
            var teachers: [(name: String, teacher: any FrozenTeacher, alignment: TeacherTarget.Alignment, weight: Float)] = []
            if modality == .audio, let path = keys.audioTeacher {
                let teacher = try TeacherLoading.load(path, key: "audio_teacher", grid: grid, tower: .audio, block: keys.teacherBlock, config: config)
                teachers.append(("aud", teacher, .sameTokens, 1))
            }
            if modality == .video, let path = keys.imageTeacher {
                let teacher = try TeacherLoading.load(path, key: "image_teacher", grid: frameGrid(config), tower: .video,
                                                      block: keys.teacherBlock, config: config)
                let lipStudent = config.model.video.frontEnd == .lipResNet
                let alignment: TeacherTarget.Alignment = lipStudent ? .framePooled : .framesEvery(imageTeacherFrameStride(config))
                teachers.append(("img", teacher, alignment, Float(keys.imageLossWeight)))
            }
            if modality == .video, let path = keys.videoTeacher {
                let (teacher, alignment) = try TeacherLoading.loadVideoTeacher(path, key: "video_teacher", block: keys.teacherBlock, config: config)
                teachers.append(("vid", teacher, alignment, Float(keys.videoLossWeight)))
            }
            let tower = modality == .audio ? config.model.audio.transformer : config.model.video.transformer
            let dropPath = modality == .audio ? config.model.audio.dropPath : config.model.video.dropPath
            return MaskedVideoDistillation(name: config.objective.name, modality: modality, store: store, grid: grid,
                                           encoderSize: size(tower), decoderSize: decoderSize, teachers: teachers,
                                           masking: studentMasking(for: config, grid: grid), normalizeTargets: keys.normTargets,
                                           visibleLossWeight: Float(keys.visibleLossWeight), dropPath: Float(dropPath), tower: modality == .video ? videoTowerBuilder(for: config) : nil)
        case "dmae", "mimco":
            let modality: MaskedAutoencoder.Modality = keys.modality == .audio ? .audio : .video
            let grid = tokenGrid(for: config, modality: modality)
            let tower = modality == .audio ? config.model.audio.transformer : config.model.video.transformer
            let dropPath = Float(modality == .audio ? config.model.audio.dropPath : config.model.video.dropPath)
            let isDMAE = config.objective.name == "dmae"
            // DMAE aligns the block three quarters up (ViT-B's 8 with ViT-L's 17, 0-based) by default.
            var teacherBlock = keys.teacherBlock
            if isDMAE && teacherBlock == nil { teacherBlock = try threeQuarterBlock(config.objective.teacher!, modality: modality, config: config) }
            let teacher = try TeacherLoading.load(config.objective.teacher!, key: "teacher", grid: grid, tower: modality, block: teacherBlock, config: config)
            if isDMAE {
                return DistilledMaskedAutoencoder(
                    modality: modality, store: store, grid: grid, encoderSize: size(tower), decoderSize: decoderSize,
                    masking: masking(for: config, grid: grid), teacher: teacher,
                    studentBlock: keys.studentBlock ?? max(0, tower.depth * 3 / 4 - 1), distillationWeight: Float(keys.distillWeight),
                    normalizeTargets: config.objective.normPixLoss, dropPath: dropPath)
            }
            return MimCo(modality: modality, store: store, grid: grid, encoderSize: size(tower), decoderSize: decoderSize,
                         teacher: teacher, masking: masking(for: config, grid: grid), temperature: Float(keys.temperature),
                         imageLevelWeight: Float(keys.imageLevelWeight), dropPath: dropPath)
        default:
            preconditionFailure("\(config.objective.name) is not a distillation objective")
        }
    }

    /// Every how many frames `mvd`'s image teacher sees a frame: each frame for a lip-reading
    /// student (one token a frame, the frame's patches pooled), else every tubelet-th (MVD's).
    static func imageTeacherFrameStride(_ config: RunConfig) -> Int {
        config.model.video.frontEnd == .lipResNet ? 1 : config.model.video.tubelet
    }

    /// One frame of the video tower's input, cut in its spatial patches.
    static func frameGrid(_ config: RunConfig) -> TokenGrid {
        let video = config.model.video
        return .image(channels: video.color.channels, height: video.size, width: video.size, patch: video.patch)
    }

    /// DMAE's default teacher block: three quarters up the teacher's depth, read from its file.
    private static func threeQuarterBlock(_ path: String, modality: MaskedAutoencoder.Modality,
                                          config: RunConfig) throws(ConfigError) -> Int {
        let grid = tokenGrid(for: config, modality: modality)
        let probe = try TeacherLoading.load(path, key: "teacher", grid: grid, tower: modality, block: 0, config: config)
        return max(0, probe.layout.depth * 3 / 4 - 1)
    }
}
