// A frozen teacher read from another run's checkpoint (MAViL stage 2): the folder resolved, its
// config read from state.json to build the teacher as it was trained, and only the towers and
// fusion blocks loaded. Every failure is a ConfigError at objective.teacher naming the path.
import DuetModels
import DuetNN
import DuetObjectives
import Foundation

public enum TeacherCheckpoint {
    /// The checkpoint `spec` names: a checkpoint folder, a run folder (its latest checkpoint), or
    /// `RUN/checkpoints/latest` (or `RUN/latest`).
    public static func resolve(_ spec: String) throws(ConfigError) -> Checkpoint {
        do {
            let url = URL(fileURLWithPath: spec)
            if url.lastPathComponent == "latest" {
                var run = url.deletingLastPathComponent()
                if run.lastPathComponent == "checkpoints" { run = run.deletingLastPathComponent() }
                return try CheckpointFolder.resolve("latest", runFolder: run)
            }
            return try CheckpointFolder.resolve(spec, runFolder: nil)
        } catch {
            throw failure(spec, error.description)
        }
    }

    /// MAViL's towers and fusion blocks as the teacher's own config built them, loaded from its
    /// model.safetensors (strictly: every tower and fusion name present and shaped alike), frozen.
    public static func loadMAViL(_ spec: String, audioGrid: TokenGrid, videoGrid: TokenGrid) throws(ConfigError)
        -> (towers: MAViLTowers, store: ParameterStore) {
        let checkpoint = try resolve(spec)
        let saved: RunConfig
        do { saved = try checkpoint.readState().config } catch { throw failure(spec, error.description) }
        guard saved.objective.name == "mavil" else {
            throw failure(spec, "\(checkpoint.stateFile.path) is a \(saved.objective.name) run; MAViL stage 2 needs a mavil checkpoint")
        }
        let grids = (ObjectiveFactory.tokenGrid(for: saved, modality: .audio), ObjectiveFactory.videoTokenGrid(for: saved))
        guard grids.0 == audioGrid, grids.1 == videoGrid else {
            throw failure(spec, "the teacher's token grids \(grids) differ from this run's (\(audioGrid), \(videoGrid)); "
                + "use the teacher's model.audio / model.video input sizes")
        }
        let store = ParameterStore(seed: UInt64(saved.seed))
        let towers = MAViLTowers(store.builder, audioGrid: audioGrid, videoGrid: videoGrid,
                                 audioSize: ObjectiveFactory.size(saved.model.audio.transformer),
                                 videoSize: ObjectiveFactory.size(saved.model.video.transformer),
                                 fusionDepth: saved.objective.mavil.fusionDepth,
                                 videoTower: ObjectiveFactory.videoTowerBuilder(for: saved))
        store.finalize()
        let prefixes = ["audio_encoder.", "video_encoder.", "fusion."]
        do {
            try store.load(from: checkpoint.modelFile, strict: true) { name in
                prefixes.contains { name.hasPrefix($0) } ? name : nil
            }
        } catch {
            switch error {
            case .file(let fileError): throw failure(spec, "\(checkpoint.modelFile.path) is damaged: \(fileError)")
            case .mismatch(let file, let report): throw failure(spec, "\(file) does not fit its own config: \(report)")
            }
        }
        store.setTrainable(false)
        return (towers, store)
    }

    static func failure(_ spec: String, _ reason: String) -> ConfigError {
        .invalidValue(file: spec, line: nil, keyPath: "objective.teacher", reason: reason)
    }
}
