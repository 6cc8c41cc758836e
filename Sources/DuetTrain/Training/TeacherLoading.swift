// From a teacher key of the config to a loaded frozen teacher: a safetensors file, a Duet
// checkpoint folder or a Duet run folder (its latest checkpoint); the heads from the run's own
// config when it has one. Every failure is a ConfigError at the key, naming the file.
import DuetModels
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
