// What `duet pretrain` does, as a library call: resolve the config (or take the checkpoint's),
// the run folder and the checkpoint to resume, build the objective and the data, write the
// resolved config beside the run, and train.
import DuetObjectives
import Foundation

/// The options of `duet pretrain`.
public struct PretrainOptions: Sendable {
    /// The YAML recipe; nil when resuming a checkpoint folder (its state.json has the config).
    public var configFile: String?
    /// `--set KEY=VALUE`, applied to the recipe or to the checkpoint's config.
    public var overrides: [String]
    /// `latest` (the run folder's newest complete checkpoint), a checkpoint folder or a run folder.
    public var resume: String?
    /// The run folder; `runs/<name>` when nil (or the resumed checkpoint's run).
    public var runDirectory: String?
    /// Stop after this step (a checkpoint is written there); the schedule still spans
    /// `train.steps`, so resuming continues the same run.
    public var stopAfter: Int?

    public init(configFile: String? = nil, overrides: [String] = [], resume: String? = nil, runDirectory: String? = nil,
                stopAfter: Int? = nil) {
        self.configFile = configFile
        self.overrides = overrides
        self.resume = resume
        self.runDirectory = runDirectory
        self.stopAfter = stopAfter
    }
}

public enum Pretraining {
    /// Runs (or resumes) a pretraining run. Everything a user can get wrong — the config, the
    /// options, the checkpoint — is checked before the first step.
    @discardableResult
    public static func run(_ options: PretrainOptions, console: ConsoleProgress.Style? = nil) throws(TrainError) -> TrainingSummary {
        if let stop = options.stopAfter, stop <= 0 { throw .usage("--steps must be positive, got \(stop)") }
        // A checkpoint named by its folder is found first: without --config, its config is the run's.
        var checkpoint: Checkpoint?
        if let resume = options.resume, resume != "latest" || (options.configFile == nil && options.runDirectory != nil) {
            let runFolder = options.runDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
            do { checkpoint = try CheckpointFolder.resolve(resume, runFolder: runFolder) } catch { throw .checkpoint(error) }
        }
        let config = try resolveConfig(options, checkpoint: checkpoint)
        let run = RunFolder(url: URL(fileURLWithPath: options.runDirectory
            ?? checkpoint.map { $0.folder.deletingLastPathComponent().deletingLastPathComponent().path }
            ?? "runs/\(config.name)", isDirectory: true))
        if options.resume == "latest" && checkpoint == nil {
            do { checkpoint = try CheckpointFolder.resolve("latest", runFolder: run.url) } catch { throw .checkpoint(error) }
        } else if checkpoint == nil, let last = run.checkpoints.checkpoints().last {
            throw .runFolder(path: run.url.path, reason: "holds an earlier run (last checkpoint \(last.checkpoint.folder.lastPathComponent)); "
                + "pass --resume latest to continue it, or --run-dir for a new run")
        }
        let objective: any PretrainingObjective
        let source: any BatchSource, heldOut: (any BatchSource)?, dataName: String
        var lrScales: [String: Float] = [:]
        if let task = config.task {
            // A fine-tuning run: its towers come from task.init only when it starts afresh.
            let data = try FineTuningData(config: config, log: note)
            let fineTuning = try FineTuning.makeTask(for: config, data: data, loadingInit: checkpoint == nil, log: note)
            lrScales = fineTuning.learningRateScales(decay: Float(task.layerDecay))
            objective = fineTuning
            (source, heldOut, dataName) = try FineTuning.dataSources(config, data: data, log: note)
        } else {
            do { objective = try ObjectiveFactory.makeObjective(for: config) } catch { throw .config(error) }
            (source, heldOut, dataName) = try dataSources(config)
        }
        let probe = config.train.probeEvery > 0 ? try ProbeEvaluation(config: config, log: note) : nil
        let trainer = try Trainer(config: config, objective: objective, source: source, heldOut: heldOut, probe: probe, run: run,
                                  console: ConsoleProgress(totalSteps: config.train.steps, style: console),
                                  resumingFrom: checkpoint, lrScales: lrScales)
        let parameters = Double(objective.store.trainableScalarCount) / 1e6
        trainer.log.message("\(config.name): \(objective.name), \(String(format: "%.2f", parameters))M parameters, "
            + "batch \(config.train.batchSize) × \(config.train.gradAccumulation), \(config.train.steps) steps, "
            + "\(dataName), run folder \(run.url.path)")
        let summary = try trainer.train(until: options.stopAfter)
        let losses = [summary.firstLoss.map { "loss \(format($0, digits: 4))" },
                      summary.lastLoss.map { "→ \(format($0, digits: 4))" },
                      summary.lastEvaluationLoss.map { "held-out \(format($0, digits: 4))" }].compactMap { $0 }
        trainer.log.message("done: step \(summary.step)/\(config.train.steps) in \(formatDuration(summary.seconds)), "
            + (losses.isEmpty ? "" : losses.joined(separator: " ") + ", ")
            + "\(summary.skippedSteps) skipped" + (summary.lastCheckpoint.map { ", checkpoint \($0.folder.path)" } ?? ""))
        return summary
    }

    /// The training and held-out sources: `data.manifest` (held out: `data.valid_manifest`, when
    /// given), or the synthetic corpus's train and valid splits (`data.synthetic_clips` of them),
    /// made once and cached.
    /// One line to standard error (the data layer's notes: skipped files, the corpus being made).
    static let note: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    static func dataSources(_ config: RunConfig) throws(TrainError) -> (any BatchSource, (any BatchSource)?, String) {
        if let manifest = config.data.manifest {
            let heldOut = try config.data.validManifest.map { (valid: String) throws(TrainError) in
                try LoaderBatchSource(manifest: valid, config: config, training: false, log: note)
            }
            return (try LoaderBatchSource(manifest: manifest, config: config, training: true, log: note), heldOut, manifest)
        }
        let speakers = config.data.unlabelledSpeakers
        let corpus = speakers > 0 ? try SyntheticCorpusCache.unlabelled(speakers: speakers, seed: UInt64(config.seed), log: note)
                                  : try SyntheticCorpusCache.corpus(config, log: note)
        let clips = config.data.syntheticClips
        let train = corpus.appendingPathComponent(clips.manifest(split: "train")).path
        let valid = corpus.appendingPathComponent(clips.manifest(split: "valid")).path
        return (try LoaderBatchSource(manifest: train, config: config, training: true, log: note),
                try LoaderBatchSource(manifest: valid, config: config, training: false, log: note),
                "\(speakers > 0 ? "the unlabelled synthetic corpus" : "the synthetic corpus") (\(corpus.path), \(clips == .all ? "every clip" : "its \(clips.rawValue)"))")
    }

    /// The recipe with `--set` applied, files checked; or the checkpoint's config when no recipe
    /// is given.
    static func resolveConfig(_ options: PretrainOptions, checkpoint: Checkpoint?) throws(TrainError) -> RunConfig {
        do {
            if let file = options.configFile {
                return try RunConfig.load(contentsOf: file, overrides: options.overrides, checkingFiles: true)
            }
            guard let checkpoint else {
                throw TrainError.usage("give --config FILE, or --resume with a checkpoint or run folder")
            }
            let saved: TrainingState
            do { saved = try checkpoint.readState() } catch { throw TrainError.checkpoint(error) }
            return try RunConfig(yaml: saved.config.yaml, file: checkpoint.stateFile.path, overrides: options.overrides,
                                 checkingFiles: true)
        } catch let error as ConfigError {
            throw .config(error)
        } catch let error as TrainError {
            throw error
        } catch {
            throw .usage("\(error)")
        }
    }
}
