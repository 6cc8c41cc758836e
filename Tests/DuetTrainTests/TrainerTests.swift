// The trainer: the loss falls on the synthetic source, a resumed run repeats the uninterrupted one
// bit for bit, non-finite steps are skipped and counted and too many stop the run with advice.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

@Suite("Trainer")
struct TrainerTests {
    @Test func lossFallsOnSyntheticAudio() throws {
        var config = tinyAudioConfig(steps: 40)
        config.train.batchSize = 8
        config.schedule.warmupSteps = 4
        let trainer = try makeTrainer(config)
        let before = try trainer.evaluate()
        var losses: [Double] = []
        for _ in 0..<40 { losses.append(try trainer.trainStep().loss) }
        let after = try trainer.evaluate()
        let first = losses.prefix(5).reduce(0, +) / 5
        let last = losses.suffix(5).reduce(0, +) / 5
        print("mae-audio tiny, 40 steps: train loss \(first) → \(last) (means of 5 steps), held-out \(before) → \(after)")
        #expect(last < 0.8 * first)
        #expect(after < 0.8 * before)
    }

    @Test func resumedRunIsBitIdentical() throws {
        var config = tinyAudioConfig(steps: 10)
        config.train.gradAccumulation = 2
        config.train.clipGrad = 0.5
        let straight = freshFolder("straight")
        let stopped = freshFolder("stopped")
        defer { for folder in [straight, stopped] { try? FileManager.default.removeItem(at: folder) } }
        let a = try makeTrainer(config, run: straight)
        try a.train()
        // Stop at 6, then resume from the step-4 checkpoint: the records of steps 5 and 6 that the
        // stopped run wrote must give way to the resumed run's.
        try makeTrainer(config, run: stopped).train(until: 6)
        let checkpoints = RunFolder(url: stopped).checkpoints.checkpoints()
        #expect(checkpoints.map(\.step) == [4, 6])
        let b = try makeTrainer(config, run: stopped, resumingFrom: checkpoints[0].checkpoint)
        #expect(b.step == 4 && b.source.position == BatchPosition(epoch: 0, batchIndex: 8))
        try b.train()

        #expect(a.store.values!.scalars == b.store.values!.scalars)
        #expect(a.optimizer.stepCount == b.optimizer.stepCount)
        for (name, tensor) in a.optimizer.state { #expect(tensor.scalars == b.optimizer.state[name]!.scalars, "\(name)") }
        let finalA = try Data(contentsOf: RunFolder(url: straight).checkpoints.latest()!.modelFile)
        let finalB = try Data(contentsOf: RunFolder(url: stopped).checkpoints.latest()!.modelFile)
        #expect(finalA == finalB)
        let recordsA = try metricsRecords(RunFolder(url: straight).metricsFile)
        let recordsB = try metricsRecords(RunFolder(url: stopped).metricsFile)
        #expect(recordsA.count == 10 + 3)  // a line per step, evaluations at 4, 8 and 10
        #expect(recordsA == recordsB)
    }

    @Test func nonfiniteStepIsSkippedAndCounted() throws {
        var config = tinyAudioConfig(steps: 8)
        config.train.maxNonfiniteInARow = 2
        let run = freshFolder("nan")
        defer { try? FileManager.default.removeItem(at: run) }
        let source = PoisonedSource(config: config, poisoned: [2, 4, 5, 6])
        let trainer = try makeTrainer(config, run: run, source: source)
        try trainer.trainStep()
        try trainer.trainStep()
        let before = trainer.store.values!.scalars
        let skipped = try trainer.trainStep()
        #expect(skipped.skipped && skipped.loss.isNaN && trainer.skippedSteps == 1 && trainer.nonfiniteInARow == 1)
        #expect(trainer.store.values!.scalars == before, "a skipped step changed the parameters")
        #expect(trainer.optimizer.stepCount == 2)
        #expect(trainer.store.gradients!.scalars.allSatisfy { $0 == 0 })
        try trainer.trainStep()
        #expect(trainer.nonfiniteInARow == 0 && trainer.skippedSteps == 1)
        // Three in a row with at most two allowed: the third stops the run.
        try trainer.trainStep()
        try trainer.trainStep()
        do {
            try trainer.trainStep()
            Issue.record("a third non-finite step in a row did not stop the run")
        } catch {
            guard case .tooManyNonfinite = error else { throw error }
            let message = error.description
            #expect(message.contains("3 steps in a row") && message.contains("optim.lr") && message.contains("train.clip_grad")
                    && message.contains("check the data") && message.contains("synthetic/train/"))
        }
        #expect(trainer.skippedSteps == 4)
        let log = try String(contentsOf: RunFolder(url: run).logFile, encoding: .utf8)
        let skipLines = log.split(separator: "\n").filter { $0.contains("non-finite loss") }
        #expect(skipLines.count == 4 && skipLines.allSatisfy { $0.contains("samples: synthetic/train/") })
        let records = try metricsRecords(RunFolder(url: run).metricsFile)
        #expect(records[2]["skipped"] == 1 && records[2]["loss"]!.isNaN)
    }

    @Test func maeVideoTrainsOnTubes() throws {
        var config = tinyAudioConfig(steps: 2)
        config.objective.name = "mae-video"
        config.masking.kind = .tube
        config.model.video.transformer = TransformerConfig(dim: 32, depth: 1, heads: 2)
        (config.model.video.frames, config.model.video.size, config.model.video.patch, config.model.video.color) = (4, 16, 8, .gray)
        let trainer = try makeTrainer(config)
        let mae = try #require(trainer.objective as? MaskedAutoencoder)
        #expect(mae.masking is TubeMasking && mae.grid.tokens == 8)
        #expect(try trainer.trainStep().loss.isFinite)
    }

    @Test func maskingMustFitTheObjective() {
        var config = tinyAudioConfig()
        config.masking.kind = .tube
        #expect(throws: ConfigError.self) { try ObjectiveFactory.makeObjective(for: config) }
        do {
            try config.validate()
        } catch {
            #expect(error.description.contains("masking.kind: tube masking does not fit mae-audio's tokens; use random or inverse_block"))
        }
    }

    @Test func syntheticSourceIsDeterministicAndSharded() throws {
        let config = tinyAudioConfig()
        let a = SyntheticBatchSource(config: config, split: .train, clips: 32)
        #expect(a.batchesPerEpoch == 8)
        let batches = try (0..<10).map { _ in try a.next() }
        #expect(a.position == BatchPosition(epoch: 1, batchIndex: 2))
        try a.seek(to: BatchPosition(epoch: 1, batchIndex: 1))
        let again = try a.next()
        #expect(again.ids == batches[9].ids && again.audio!.scalars == batches[9].audio!.scalars)
        #expect(Set(batches.prefix(8).flatMap(\.ids)).count == 32, "an epoch draws every clip once")
        #expect(batches[0].ids != batches[8].ids, "epochs are shuffled differently")
        let rank0 = SyntheticBatchSource(config: config, split: .train, clips: 32, rank: 0, worldSize: 2)
        let rank1 = SyntheticBatchSource(config: config, split: .train, clips: 32, rank: 1, worldSize: 2)
        let ids0 = try (0..<4).flatMap { _ in try rank0.next().ids }
        let ids1 = try (0..<4).flatMap { _ in try rank1.next().ids }
        #expect(Set(ids0).isDisjoint(with: ids1) && Set(ids0 + ids1).count == 32)
        #expect(throws: BatchPositionError.self) { try a.seek(to: BatchPosition(epoch: 0, batchIndex: 8)) }
    }
}
