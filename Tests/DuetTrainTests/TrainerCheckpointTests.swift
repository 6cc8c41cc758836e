// Checkpoint folders: `latest` is the newest complete one (a crashed write's temporary folder is
// not), old ones are pruned, and a damaged file is an error that names it.
import DuetNN
import Foundation
import Testing
@testable import DuetTrain

@Suite("Trainer checkpoints")
struct TrainerCheckpointTests {
    @Test func latestIgnoresPartialWrites() throws {
        var config = tinyAudioConfig(steps: 4)
        config.train.checkpointEvery = 2
        let run = try trainedRun(config, "partial")
        defer { try? FileManager.default.removeItem(at: run.url) }
        let (runURL, folder) = (run.url, run.checkpoints)
        // A write killed half way: the temporary folder with a truncated model, and a step folder
        // someone left without its state.
        let temporary = folder.url.appendingPathComponent(".tmp-step-000006-4242", isDirectory: true)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let model = try Data(contentsOf: folder.latest()!.modelFile)
        try model.prefix(100).write(to: temporary.appendingPathComponent(Checkpoint.modelFileName))
        let incomplete = folder.url.appendingPathComponent("step-000008", isDirectory: true)
        try FileManager.default.createDirectory(at: incomplete, withIntermediateDirectories: true)
        try model.write(to: incomplete.appendingPathComponent(Checkpoint.modelFileName))

        #expect(folder.checkpoints().map(\.step) == [2, 4])
        let latest = try CheckpointFolder.resolve("latest", runFolder: runURL)
        #expect(latest.folder.lastPathComponent == "step-000004")
        #expect(try CheckpointFolder.resolve(runURL.path, runFolder: nil) == latest, "a run folder resolves to its latest")
        let resumed = try makeTrainer(config, run: runURL, resumingFrom: latest)
        #expect(resumed.step == 4)
        do {
            _ = try CheckpointFolder.resolve(incomplete.path, runFolder: nil)
            Issue.record("an incomplete checkpoint folder resolved")
        } catch {
            #expect(error.description.contains("step-000008 is not a complete checkpoint: it has no optimizer.safetensors"))
        }
    }

    @Test func writesPruneOldCheckpointsAndLeftovers() throws {
        var config = tinyAudioConfig(steps: 6)
        (config.train.checkpointEvery, config.train.keepCheckpoints, config.train.evalEvery) = (1, 2, 0)
        let runURL = freshFolder("prune")
        defer { try? FileManager.default.removeItem(at: runURL) }
        let folder = RunFolder(url: runURL).checkpoints
        let trainer = try makeTrainer(config, run: runURL)
        try trainer.train(until: 3)
        let leftover = folder.url.appendingPathComponent(".tmp-step-000009-1", isDirectory: true)
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: true)
        try trainer.train()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["step-000005", "step-000006"])
        let state = try folder.latest()!.readState()
        #expect(state.step == 6 && state.config == config && state.duetVersion == DuetVersion.current)
        #expect(state.random == RandomCounters(seed: 3, rank: 0, step: 6) && state.position == trainer.source.position)
        // Saving a step again replaces its folder.
        try trainer.saveCheckpoint()
        #expect(folder.checkpoints().map(\.step) == [5, 6])
    }

    @Test func damagedFilesAreNamed() throws {
        let config = tinyAudioConfig(steps: 2)
        let runURL = try trainedRun(config, "damaged").url
        defer { try? FileManager.default.removeItem(at: runURL) }
        let checkpoint = RunFolder(url: runURL).checkpoints.latest()!

        func resumeError() -> String {
            do {
                _ = try makeTrainer(config, run: runURL, resumingFrom: checkpoint)
                Issue.record("a damaged checkpoint loaded")
                return ""
            } catch {
                #expect(!"\(error)".contains("\n"))
                return "\(error)"
            }
        }
        let model = try Data(contentsOf: checkpoint.modelFile)
        try model.prefix(model.count / 2).write(to: checkpoint.modelFile)
        #expect(resumeError().contains(checkpoint.modelFile.path))
        try model.write(to: checkpoint.modelFile)

        let optimizer = try Data(contentsOf: checkpoint.optimizerFile)
        try optimizer.prefix(5).write(to: checkpoint.optimizerFile)
        #expect(resumeError().contains(checkpoint.optimizerFile.path))
        try optimizer.write(to: checkpoint.optimizerFile)

        let state = try Data(contentsOf: checkpoint.stateFile)
        try state.prefix(state.count / 2).write(to: checkpoint.stateFile)
        let message = resumeError()
        #expect(message.contains(checkpoint.stateFile.path) && message.contains("damaged"))
        try state.write(to: checkpoint.stateFile)

        var sgd = config
        sgd.optim.name = .sgd
        do {
            _ = try makeTrainer(sgd, run: runURL, resumingFrom: checkpoint)
            Issue.record("an AdamW state loaded into SGD")
        } catch {
            #expect("\(error)".contains("written by adamw, this run uses sgd"))
        }
        #expect(try makeTrainer(config, run: runURL, resumingFrom: checkpoint).step == 2)
    }

    @Test func badRunsStopBeforeTraining() throws {
        let runURL = freshFolder("bad")
        defer { try? FileManager.default.removeItem(at: runURL) }
        let recipe = runURL.appendingPathComponent("tiny.yaml")
        try tinyAudioConfig(steps: 2).yaml.write(to: recipe, atomically: true, encoding: .utf8)
        func failure(_ overrides: [String], resume: String? = nil) -> String {
            do {
                try Pretraining.run(PretrainOptions(configFile: recipe.path, overrides: overrides, resume: resume,
                                                    runDirectory: runURL.appendingPathComponent("run").path), console: .lines)
                Issue.record("\(overrides) trained")
                return ""
            } catch {
                #expect(!error.description.contains("\n"), "one line: \(error)")
                return error.description
            }
        }
        #expect(failure(["optim.lr=-1"]).contains("optim.lr: must be positive, got -1.0"))
        #expect(failure(["optim.learning_rate=1"]).contains("did you mean optim.lr?"))
        #expect(failure(["train.steps=many"]).contains("train.steps: expected an integer"))
        #expect(failure(["data.manifest=/no/such/train.tsv"]).contains("data.manifest: no such file /no/such/train.tsv"))
        #expect(failure([], resume: "latest").contains("no checkpoint to resume"))
        #expect(!FileManager.default.fileExists(atPath: runURL.appendingPathComponent("run/metrics.jsonl").path))
    }
}
