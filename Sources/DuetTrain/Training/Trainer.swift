// The training loop: gradient accumulation, clipping, the learning-rate schedule, the optimizer,
// held-out evaluation, checkpoints, and non-finite steps skipped and counted. Every random draw
// of step s comes from RandomStream(seed).derived(s, rank), so a resumed run repeats it exactly.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

/// What one optimizer step did.
public struct StepResult: Sendable {
    /// Steps completed, this one included (the number logged and used for checkpoints).
    public var step: Int
    /// Mean loss over the micro-batches (not finite when the step was skipped for it).
    public var loss: Double
    public var lr: Double
    /// Global gradient norm before clipping (NaN when the loss already was not finite).
    public var gradNorm: Double
    public var skipped: Bool
    public var skippedSoFar: Int
    /// The samples of the step's micro-batches.
    public var ids: [String]
    /// The objective's metrics, averaged over the micro-batches (the `loss` entry left out).
    public var metrics: [String: Double] = [:]
}

/// What `train` did, for the caller's last words.
public struct TrainingSummary: Sendable {
    /// Steps completed when this session started and when it ended.
    public var startStep: Int
    public var step: Int
    public var firstLoss: Double?
    public var lastLoss: Double?
    public var lastEvaluationLoss: Double?
    public var skippedSteps: Int
    public var lastCheckpoint: Checkpoint?
    public var seconds: Double
}

public final class Trainer {
    public let config: RunConfig
    public let objective: any PretrainingObjective
    public let optimizer: any Optimizer
    public let schedule: LearningRateSchedule
    public let source: any BatchSource
    /// The held-out batches evaluation runs over, from its start each time.
    public let heldOut: (any BatchSource)?
    /// The linear probes and retrieval run every `train.probe_every` steps and at the end.
    public let probe: ProbeEvaluation?
    public let run: RunFolder?
    public let log: RunLog
    /// This process's rank among the data-parallel workers (0 alone).
    public let rank: Int
    /// Optimizer steps completed, skipped ones included.
    public private(set) var step = 0
    public private(set) var skippedSteps = 0
    public private(set) var nonfiniteInARow = 0
    /// Where a resumed run picked up, said when training starts.
    private var pendingNotes: [String] = []

    /// A trainer for `objective` (built by `ObjectiveFactory` from the same config), fresh or, with
    /// `checkpoint`, continuing from it: model, optimizer, data position and counters restored.
    /// With `run`, writes RUN/config.yaml (the resolved config) and the logs; nil writes nothing.
    /// `console` nil prints nothing.
    public init(config: RunConfig, objective: any PretrainingObjective, source: any BatchSource,
                heldOut: (any BatchSource)? = nil, probe: ProbeEvaluation? = nil, run: RunFolder? = nil, console: ConsoleProgress? = nil,
                rank: Int = 0, resumingFrom checkpoint: Checkpoint? = nil, lrScales: [String: Float] = [:]) throws(TrainError) {
        do { try config.validate() } catch { throw .config(error) }
        self.config = config
        self.objective = objective
        self.source = source
        self.heldOut = heldOut
        self.probe = probe
        self.run = run
        self.rank = rank
        let scales: [String: Float]
        do { scales = try FrozenParameters.scales(freezing: config.optim.frozen, in: objective.store, merging: lrScales) } catch {
            throw .config(error)
        }
        optimizer = try Self.makeOptimizer(config.optim, store: objective.store, lrScales: scales)
        schedule = Self.makeSchedule(config)
        var notes: [String] = []
        if let checkpoint {
            let state: TrainingState
            do {
                state = try Self.restore(from: checkpoint, config: config, objective: objective, optimizer: optimizer,
                                         source: source)
            } catch {
                throw .checkpoint(error)
            }
            (step, skippedSteps, nonfiniteInARow) = (state.step, state.skippedSteps, state.nonfiniteInARow)
            notes.append("resumed from \(checkpoint.folder.path) at step \(step) (data at \(state.position))")
            let changed = config.differences(from: state.config)
            if !changed.isEmpty {
                notes.append("the config differs from the checkpoint's (the run goes on with the new values): "
                    + changed.joined(separator: "; "))
            }
        }
        try run?.create()
        try run?.writeConfig(config)
        log = try RunLog(run: run, totalSteps: config.train.steps, logEvery: config.train.logEvery,
                         samplesPerStep: config.effectiveBatchSize, console: console,
                         resumingAfter: checkpoint == nil ? nil : step)
        pendingNotes = notes
    }

    public var store: ParameterStore { objective.store }

    /// Trains until step `stop` (at most `train.steps`; all of them when nil): evaluates every
    /// `eval_every` steps and at the last, checkpoints every `checkpoint_every` steps and where it
    /// stops. Throws when the data or the model fail, or too many steps in a row are not finite.
    @discardableResult
    public func train(until stop: Int? = nil) throws(TrainError) -> TrainingSummary {
        let end = min(stop ?? config.train.steps, config.train.steps)
        let started = Date()
        var summary = TrainingSummary(startStep: step, step: step, skippedSteps: skippedSteps, seconds: 0)
        log.begin(at: step)
        defer { log.end() }
        for note in pendingNotes { log.message(note) }
        pendingNotes = []
        while step < end {
            let result = try trainStep()
            if result.loss.isFinite {
                summary.firstLoss = summary.firstLoss ?? result.loss
                summary.lastLoss = result.loss
            }
            let every = config.train
            if heldOut != nil, every.evalEvery > 0, step % every.evalEvery == 0 || step == every.steps {
                let loss = try evaluate()
                log.evaluated(step: step, loss: loss)
                summary.lastEvaluationLoss = loss
            }
            if let probe, every.probeEvery > 0, step % every.probeEvery == 0 || step == every.steps {
                log.measured(step: step, try probe.run(objective))
            }
            if run != nil, (every.checkpointEvery > 0 && step % every.checkpointEvery == 0) || step == end {
                summary.lastCheckpoint = try saveCheckpoint()
            }
        }
        summary.step = step
        summary.skippedSteps = skippedSteps
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// One optimizer step over `train.grad_accumulation` micro-batches, logged. A non-finite loss
    /// or gradient skips the update (gradients zeroed, optimizer untouched) and is counted; more
    /// than `train.max_nonfinite_in_a_row` in a row throw `tooManyNonfinite`.
    @discardableResult
    public func trainStep() throws(TrainError) -> StepResult {
        let index = step
        let accumulation = config.train.gradAccumulation
        let stream = RandomStream(seed: UInt64(config.seed)).derived(UInt64(index), UInt64(rank))
        store.zeroGradients()
        var lossSum = 0.0
        var ids: [String] = []
        var lossIsFinite = true
        var metrics: [String: Double] = [:]
        for micro in 0..<accumulation {
            let batch = try draw(from: source)
            ids += batch.ids
            // The rest of the step's batches are still drawn, so the data position does not
            // depend on where a loss went bad.
            guard lossIsFinite else { continue }
            let context = StepContext(step: index, forward: ForwardContext(isTraining: true, stream: stream.derived(UInt64(micro))))
            let output: ObjectiveOutput
            do { output = try objective(batch, context: context) } catch { throw .objective(error) }
            let loss = Double(output.loss.item)
            lossSum += loss
            for (name, value) in output.metrics where name != "loss" { metrics[name, default: 0] += value / Double(accumulation) }
            guard loss.isFinite else { lossIsFinite = false; continue }
            (accumulation == 1 ? output.loss : output.loss * (1 / Float(accumulation))).backward()
        }
        let loss = lossIsFinite ? lossSum / Double(accumulation) : lossSum
        let lr = Double(schedule.value(at: index))
        var gradNorm = Double.nan
        if lossIsFinite {
            gradNorm = Double(config.train.clipGrad.map { store.clipGradientNorm(maxNorm: Float($0)) } ?? store.gradientNorm())
        }
        let skipped = !lossIsFinite || !gradNorm.isFinite
        if skipped {
            store.zeroGradients()
            skippedSteps += 1
            nonfiniteInARow += 1
        } else {
            optimizer.step(learningRate: Float(lr))
            objective.afterOptimizerStep(index, totalSteps: config.train.steps)
            nonfiniteInARow = 0
        }
        step += 1
        let result = StepResult(step: step, loss: loss, lr: lr, gradNorm: gradNorm, skipped: skipped,
                                skippedSoFar: skippedSteps, ids: ids, metrics: metrics)
        log.record(result)
        if skipped {
            let what = lossIsFinite ? "gradient (norm \(gradNorm))" : "loss (\(loss))"
            log.message("step \(step): non-finite \(what); step skipped, \(skippedSteps) so far, \(nonfiniteInARow) in a row; "
                + "samples: \(ids.joined(separator: ", "))")
            if nonfiniteInARow > config.train.maxNonfiniteInARow {
                throw .tooManyNonfinite(step: step, inARow: nonfiniteInARow, lastReason: lossIsFinite ? "gradient" : "loss",
                                        ids: ids, lr: config.optim.lr, clipGrad: config.train.clipGrad)
            }
        }
        return result
    }

    /// The mean loss over every held-out batch, without a graph; masks are drawn per held-out
    /// batch (not per step), so evaluations at different steps compare the same problems.
    public func evaluate() throws(TrainError) -> Double {
        guard let heldOut else { return .nan }
        do { try heldOut.seek(to: BatchPosition()) } catch { throw .data("\(error)") }
        var total = 0.0
        var samples = 0
        for index in 0..<heldOut.batchesPerEpoch {
            let batch = try draw(from: heldOut)
            let stream = RandomStream(seed: UInt64(config.seed)).derived(0x6576_616C, UInt64(index), UInt64(rank))
            let context = StepContext(step: step, forward: ForwardContext(isTraining: false, stream: stream))
            let output = try noGrad {
                Result { () throws(ObjectiveError) in try objective(batch, context: context) }
            }.mapError(TrainError.objective).get()
            total += Double(output.loss.item) * Double(batch.batchSize)
            samples += batch.batchSize
        }
        return total / Double(max(samples, 1))
    }

    /// What a checkpoint's state.json records now.
    public var state: TrainingState {
        TrainingState(step: step, position: source.position, random: RandomCounters(seed: config.seed, rank: rank, step: step),
                      optimizer: config.optim.name.rawValue, skippedSteps: skippedSteps, nonfiniteInARow: nonfiniteInARow,
                      config: config)
    }

    /// Writes `RUN/checkpoints/step-NNNNNN/` (nothing without a run folder).
    @discardableResult
    public func saveCheckpoint() throws(TrainError) -> Checkpoint? {
        guard let run else { return nil }
        do {
            let checkpoint = try run.checkpoints.write(model: store, optimizer: optimizer, state: state,
                                                       stores: objective.checkpointedStores, keep: config.train.keepCheckpoints)
            log.message("step \(step): saved \(checkpoint.folder.path)")
            return checkpoint
        } catch {
            throw .checkpoint(error)
        }
    }

    /// Loads `checkpoint` into the model, the optimizer and the data source; returns its state.
    private static func restore(from checkpoint: Checkpoint, config: RunConfig, objective: any PretrainingObjective,
                                optimizer: any Optimizer, source: any BatchSource) throws(CheckpointError) -> TrainingState {
        let state = try checkpoint.readState()
        try checkpoint.loadModel(into: objective.store, besideStores: objective.checkpointedStores)
        try checkpoint.loadOptimizer(into: optimizer, name: config.optim.name.rawValue)
        do { try source.seek(to: state.position) } catch {
            throw .mismatch(file: checkpoint.stateFile.path, reason: "\(error)")
        }
        return state
    }

    /// `lrScales`: per-parameter learning-rate scales (layer-wise decay of a fine-tuning run).
    static func makeOptimizer(_ optim: OptimConfig, store: ParameterStore, lrScales: [String: Float] = [:]) throws(TrainError) -> any Optimizer {
        do {
            switch optim.name {
            case .adamw:
                return try AdamW(store, beta1: Float(optim.betas[0]), beta2: Float(optim.betas[1]), eps: Float(optim.eps),
                                 weightDecay: Float(optim.weightDecay), lrScales: lrScales)
            case .sgd:
                return try SGD(store, momentum: Float(optim.momentum), weightDecay: Float(optim.weightDecay), lrScales: lrScales)
            }
        } catch {
            throw .optimizer(error)
        }
    }

    static func makeSchedule(_ config: RunConfig) -> LearningRateSchedule {
        let (peak, floor) = (Float(config.optim.lr), Float(config.schedule.minLR))
        let (warmup, total) = (config.schedule.warmupSteps, config.train.steps)
        switch config.schedule.kind {
        case .cosine: return .warmupCosine(peak: peak, floor: floor, warmupSteps: warmup, totalSteps: total)
        case .constant: return .constant(peak, warmupSteps: warmup)
        case .linear: return .linear(peak: peak, end: floor, warmupSteps: warmup, totalSteps: total)
        }
    }

    private func draw(from source: any BatchSource) throws(TrainError) -> ObjectiveBatch {
        do { return try source.next() } catch { throw .data("\(error)") }
    }
}
