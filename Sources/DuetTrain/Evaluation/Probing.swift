// `duet evaluate --probe RUN`: a run's latest (or a named) checkpoint, its objective rebuilt from
// the checkpoint's config, the linear probes and retrieval of `ProbeEvaluation`; with
// `randomInit`, the same encoders at their seed's initialisation (the baseline every probe
// number is read against).
import DuetObjectives
import Foundation

public struct ProbeOptions: Sendable {
    /// A run folder, a checkpoint folder, or `latest` with `runDirectory`.
    public var checkpoint: String
    /// `--set` overrides applied to the checkpoint's config (probe.*, data.num_workers, ...).
    public var overrides: [String]
    /// Probe the untrained encoders the config builds instead of the checkpoint's.
    public var randomInit: Bool

    public init(checkpoint: String, overrides: [String] = [], randomInit: Bool = false) {
        (self.checkpoint, self.overrides, self.randomInit) = (checkpoint, overrides, randomInit)
    }
}

public enum Probing {
    /// The probe values of the checkpoint (or of its config's random initialisation), and the
    /// checkpoint's step (0 for the random initialisation).
    public static func run(_ options: ProbeOptions, log: @escaping @Sendable (String) -> Void) throws(TrainError) -> (step: Int, values: [String: Double]) {
        let loaded = try objective(options)
        let probe = try ProbeEvaluation(config: loaded.config, log: log)
        log("probing \(options.randomInit ? "the random initialisation of " : "")\(loaded.checkpoint.folder.path) (\(loaded.objective.name)): "
            + "train \(probe.trainManifest), test \(probe.testManifest)")
        return (options.randomInit ? 0 : loaded.step, try probe.run(loaded.objective))
    }

    /// The checkpoint's objective, rebuilt from its config with the overrides, holding the
    /// checkpoint's parameters and its teachers' (every `checkpointedStores` entry: RAVEn's
    /// retrieval reads its audio teacher), or its random initialisation with `randomInit`.
    static func objective(_ options: ProbeOptions) throws(TrainError)
        -> (objective: any PretrainingObjective, config: RunConfig, checkpoint: Checkpoint, step: Int) {
        let checkpoint: Checkpoint
        do { checkpoint = try CheckpointFolder.resolve(options.checkpoint, runFolder: nil) } catch { throw .checkpoint(error) }
        let state: TrainingState
        do { state = try checkpoint.readState() } catch { throw .checkpoint(error) }
        let config: RunConfig
        do {
            config = try RunConfig(yaml: state.config.yaml, file: checkpoint.stateFile.path, overrides: options.overrides,
                                   checkingFiles: true)
        } catch { throw .config(error) }
        let objective: any PretrainingObjective
        do { objective = try ObjectiveFactory.makeObjective(for: config) } catch { throw .config(error) }
        if !options.randomInit {
            do { try checkpoint.loadModel(into: objective.store, besideStores: objective.checkpointedStores) } catch { throw .checkpoint(error) }
        }
        return (objective, config, checkpoint, state.step)
    }
}
