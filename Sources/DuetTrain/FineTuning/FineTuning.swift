// What `duet finetune` does: a run of the trainer whose objective is a fine-tuning task, its
// towers started from a pretrained checkpoint (`task.init`) or from scratch, trained on the
// labelled clips (a `data.label_fraction` of them), then evaluated on the valid and test splits.
import DuetData
import DuetModels
import DuetNN
import DuetObjectives
import Foundation

public enum FineTuning {
    /// The task of `config` with its parameters initialised from `ParameterStore(seed:)`, the
    /// store finalised and, when `loadingInit` and `task.init` is set, the towers copied from
    /// that checkpoint by the naming rule (`TowerLookup`).
    public static func makeTask(for config: RunConfig, data: FineTuningData, loadingInit: Bool = true,
                                log: (String) -> Void = { _ in }) throws(TrainError) -> FineTuningTask {
        do { try config.validate() } catch { throw .config(error) }
        guard let task = config.task else { throw .usage("the config has no task section") }
        let store = ParameterStore(seed: UInt64(config.seed))
        let towers = modalities(task.modality).map { tower(for: config, modality: $0, store: store) }
        let fineTuning = FineTuningTask(kind: task.kind, store: store, towers: towers, classes: data.outputClasses,
                                        labelSmoothing: Float(task.labelSmoothing), freezeSteps: task.freezeEncoderSteps,
                                        headNorm: task.headNorm)
        store.finalize()
        if loadingInit, let spec = task.initFrom {
            do throws(CheckpointError) {
                let checkpoint = try TowerLookup.checkpoint(spec)
                let (file, saved) = try TowerLookup.read(checkpoint)
                // A tower pretrained with rotary positions has no position table to miss, so the
                // names alone would not catch a fine-tune built with absolute ones (or the reverse).
                let framesTowers = config.model.video.frontEnd == .lipResNet || config.model.audio.tokens == .frames
                if framesTowers, saved.objective.raven.positions != config.objective.raven.positions {
                    throw .mismatch(file: checkpoint.modelFile.path,
                                    reason: "its towers were built with objective.raven.positions: \(saved.objective.raven.positions.rawValue), "
                                        + "the fine-tune with \(config.objective.raven.positions.rawValue); set objective.raven.positions to match")
                }
                for tower in fineTuning.towers {
                    guard let source = TowerLookup.sourcePrefix(of: tower.modality, in: file, config: saved) else {
                        throw .mismatch(file: checkpoint.modelFile.path,
                                                       reason: "holds no \(tower.modality.rawValue) tower (objective \(saved.objective.name))")
                    }
                    let skipped = try TowerLookup.load(store, prefix: TowerLookup.prefix(tower.modality), from: file, source: source)
                    log("\(tower.modality.rawValue) tower from \(checkpoint.folder.path)"
                        + (source.isEmpty ? " (root-level MAE names)" : " (\(source)*)")
                        + (skipped.isEmpty ? "" : "; fixed positions recomputed: \(skipped.joined(separator: ", "))"))
                }
            } catch {
                throw .checkpoint(error)
            }
        }
        return fineTuning
    }

    /// The tower `config.model` describes under `<modality>_encoder.`: MAE's ViT over patches or
    /// tubelets, or RAVEn's towers (`model.video.front_end: lip_resnet`, the lip-reading tower;
    /// `model.audio.tokens: frames`, one filterbank token per video time step), with the
    /// LayerScale of `objective.raven.layer_scale` as RAVEn builds them.
    static func tower(for config: RunConfig, modality: Modality, store: ParameterStore) -> TaskTower {
        let b = store.builder.scope("\(modality.rawValue)_encoder")
        let settings = modality == .video ? config.model.video.transformer : config.model.audio.transformer
        let dropPath = Float(modality == .video ? config.model.video.dropPath : config.model.audio.dropPath)
        let size = TransformerSize(dim: settings.dim, depth: settings.depth, heads: settings.heads, mlpRatio: Float(settings.mlpRatio))
        let video = config.model.video
        if modality == .video, video.frontEnd == .lipResNet {
            return TaskTower(lipReading: ObjectiveFactory.lipReadingTower(b, config: config, dropPath: dropPath),
                             channels: video.color.channels, size: video.size)
        }
        if modality == .audio, config.model.audio.tokens == .frames {
            return TaskTower(filterbankFrames: ObjectiveFactory.filterbankFrameTower(b, config: config, dropPath: dropPath))
        }
        return TaskTower(modality: modality, encoder: MAEEncoder(b, grid: ObjectiveFactory.tokenGrid(for: config, modality: modality),
                                                                 size: size, dropPath: dropPath))
    }

    static func modalities(_ modality: TaskModality) -> [Modality] {
        switch modality {
        case .video: return [.video]
        case .audio: return [.audio]
        case .audiovisual: return [.video, .audio]
        }
    }

    /// The training source (the label fraction's subset of the train split) and the held-out
    /// valid split, with labels.
    static func dataSources(_ config: RunConfig, data: FineTuningData,
                            log: @escaping (String) -> Void) throws(TrainError) -> (any BatchSource, (any BatchSource)?, String) {
        let labels = try data.labels(.train)
        let keys = data.task.kind == .word ? labels.encoded : labels.encoded.map { _ in [Int32]() }
        let subset = config.data.labelFraction < 1
            ? labelFractionSubset(keys, fraction: config.data.labelFraction, seed: UInt64(config.seed)) : nil
        let train = data.manifests[.train]!
        let source = try LoaderBatchSource(manifest: train, config: config, training: true, labels: labels, entries: subset, log: log)
        var heldOut: (any BatchSource)?
        if let valid = data.manifests[.valid] {
            heldOut = try LoaderBatchSource(manifest: valid, config: config, training: false, labels: try data.labels(.valid), log: log)
        }
        let used = subset.map { "\($0.count) of \(labels.encoded.count) labelled clips (label_fraction \(config.data.labelFraction))" }
            ?? "\(labels.encoded.count) labelled clips"
        return (source, heldOut, "\(train), \(used)")
    }

    /// Fine-tunes as `options` say (`task.init` may be set there with `--set`), then evaluates
    /// the last checkpoint on the valid and test splits; returns the test (or valid) report.
    @discardableResult
    public static func run(_ options: PretrainOptions, console: ConsoleProgress.Style? = nil) throws(TrainError) -> [TaskSplit: TaskReport] {
        if options.configFile != nil, try Pretraining.resolveConfig(options, checkpoint: nil).task == nil {
            throw .usage("\(options.configFile!) has no task section: it is a pretraining recipe (duet pretrain); "
                + "fine-tune with configs/lipread-word-tiny.yaml or another recipe with a task")
        }
        let summary = try Pretraining.run(options, console: console)
        guard let checkpoint = summary.lastCheckpoint else { return [:] }
        var reports: [TaskSplit: TaskReport] = [:]
        for split in [TaskSplit.valid, .test] {
            let report: TaskReport
            do {
                report = try TaskEvaluation.run(checkpoint: checkpoint, split: split, output: nil)
            } catch {
                if error.isMissingSplit { continue }
                throw error
            }
            print("\(split.rawValue): \(report.summary)")
            reports[split] = report
        }
        return reports
    }
}

extension TrainError {
    /// The config names no manifest for a split (`TaskEvaluation` then has nothing to read).
    var isMissingSplit: Bool {
        if case .usage(let message) = self { return message.hasPrefix("no ") && message.contains(" manifest") }
        return false
    }
}
