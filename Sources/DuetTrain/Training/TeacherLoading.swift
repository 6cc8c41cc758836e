// From a teacher key of the config to a loaded frozen teacher: a safetensors file, a Duet
// checkpoint folder or a Duet run folder (its latest checkpoint); the heads from the run's own
// config when it has one. Every failure is a ConfigError at the key, naming the file.
import DuetModels
import DuetNN
import DuetTensor
import DuetObjectives
import Foundation

enum TeacherLoading {
    /// The teacher named at `objective.<key>`, for inputs cut by `grid`, built through `block`.
    /// `tower` is the modality whose Duet tower prefix (`video_encoder.`) is tried first.
    static func load(_ path: String, key: String, grid: TokenGrid, tower: MaskedAutoencoder.Modality, block: Int?,
                     config: RunConfig) throws(ConfigError) -> TeacherEncoder {
        let (file, savedConfig) = try resolve(path, key: key)
        let heads = config.objective.distill.teacherHeads ?? savedConfig.map { (saved: RunConfig) in
            tower == .audio ? saved.model.audio.heads : saved.model.video.heads
        }
        do {
            return try TeacherEncoder(contentsOf: file, grid: grid, through: block, heads: heads,
                                      prefixes: ["\(tower.rawValue)_encoder."])
        } catch {
            throw failure(path, key: key, error.description)
        }
    }

    /// MVD's video teacher: a ViT (a file's, or a Duet run's tubelet tower) on the student's own
    /// tokens, or a Duet run's lip-reading tower (RAVEn's, one token a frame) whose frames are
    /// shared by the student's tubelets of each time step. The lip tower must read the frames the
    /// student reads (count, size, colour, rate, decode size and video_norm), or the run stops here.
    static func loadVideoTeacher(_ path: String, key: String, block: Int?,
                                 config: RunConfig) throws(ConfigError) -> (any FrozenTeacher, TeacherTarget.Alignment) {
        let (file, savedConfig) = try resolve(path, key: key)
        guard let saved = savedConfig, saved.model.video.frontEnd == .lipResNet else {
            let grid = ObjectiveFactory.tokenGrid(for: config, modality: .video)
            return (try load(path, key: key, grid: grid, tower: .video, block: block, config: config), .sameTokens)
        }
        let (student, teacher) = (config.model.video, saved.model.video)
        let mismatches = [
            ("model.video.frames", student.frames, teacher.frames), ("model.video.size", student.size, teacher.size),
            ("model.video.color channels", student.color.channels, teacher.color.channels),
            ("data.decode_size", config.data.decodeSize ?? student.size, saved.data.decodeSize ?? teacher.size),
        ].filter { $0.1 != $0.2 }.map { "\($0.0) is \($0.1) here and \($0.2) in the teacher's run" }
            + (config.data.fps == saved.data.fps ? [] : ["data.fps is \(config.data.fps) here and \(saved.data.fps) in the teacher's run"])
            + (config.data.videoNorm == saved.data.videoNorm ? []
                : ["data.video_norm is \(config.data.videoNorm.rawValue) here and \(saved.data.videoNorm.rawValue) in the teacher's run"])
        guard mismatches.isEmpty else {
            throw failure(path, key: key, "the lip-reading tower must read the student's frames: " + mismatches.joined(separator: "; "))
        }
        let store = ParameterStore(seed: 0)
        let tower = ObjectiveFactory.lipReadingTower(store.builder.scope("video_encoder"), config: saved, dropPath: 0)
        store.finalize()
        do {
            let weights = try SafeTensorsFile.read(contentsOf: file)
            guard let source = TowerLookup.sourcePrefix(of: .video, in: weights, config: saved) else {
                throw failure(path, key: key, "\(file.path) holds no video tower")
            }
            try TowerLookup.load(store, prefix: TowerLookup.prefix(.video), from: weights, source: source)
            let teacher = try TowerTeacher(file: file.path, tower: tower, store: store, through: block,
                                           blockAverage: config.objective.distill.videoTeacherTargets == .braven)
            let grid = ObjectiveFactory.videoTokenGrid(for: config)
            return (teacher, .sharedPerStep(framesPerStep: config.videoFramesPerStep, tokensPerStep: grid.tokensPerStep))
        } catch let error as ConfigError {
            throw error
        } catch {
            throw failure(path, key: key, "\(error)")
        }
    }

    /// The weights file, and the config of the Duet run that wrote it when there is one.
    static func resolve(_ path: String, key: String) throws(ConfigError) -> (URL, RunConfig?) {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let checkpoint: Checkpoint
        if !exists || isFolder.boolValue {
            // A checkpoint or run folder, or RUN/checkpoints/latest, as MAViL's teacher is named.
            do { checkpoint = try TeacherCheckpoint.resolve(path) } catch {
                throw failure(path, key: key, exists ? "neither a safetensors file nor a Duet checkpoint or run folder"
                                                     : "no such file or folder")
            }
        } else {
            let url = URL(fileURLWithPath: path)
            // model.safetensors inside a checkpoint folder: its state.json says how the run was built.
            let folder = Checkpoint(folder: url.deletingLastPathComponent())
            guard url.lastPathComponent == Checkpoint.modelFileName, folder.missingFile == nil else { return (url, nil) }
            checkpoint = folder
        }
        let state = try? checkpoint.readState()
        return (checkpoint.modelFile, state?.config)
    }

    /// An error at `objective.<key>` naming the teacher's path (as MAViL's teacher errors do).
    static func failure(_ path: String, key: String, _ reason: String) -> ConfigError {
        .invalidValue(file: path, line: nil, keyPath: "objective.\(key)", reason: reason)
    }
}
