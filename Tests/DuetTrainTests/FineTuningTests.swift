// Fine-tuning: the stratified label fraction, towers started from a pretraining checkpoint by the
// naming rule, layer-wise decay, the frozen-encoder warm-up, padding kept out of the features,
// gradients of the whole task, the trainer lowering a word and a CTC loss, and RAVEn's video tower
// started from a raven run (lipread-word-raven-tiny.yaml builds raven-tiny's tower).
import DuetData
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import DuetTestSupport
import Foundation
import Testing
@testable import DuetTrain

@Suite("Fine-tuning")
struct FineTuningTests {
    @Test func labelFractionIsStratifiedAndSeeded() {
        let labels: [[Int32]] = (0..<10).map { _ in [0] } + (0..<20).map { _ in [1] } + [[2]]
        let subset = labelFractionSubset(labels, fraction: 0.1, seed: 5)
        #expect(subset == subset.sorted())
        #expect(subset.filter { labels[$0] == [0] }.count == 1)
        #expect(subset.filter { labels[$0] == [1] }.count == 2)
        #expect(subset.filter { labels[$0] == [2] }.count == 1, "every class keeps an example")
        #expect(labelFractionSubset(labels, fraction: 0.1, seed: 5) == subset)
        #expect(labelFractionSubset(labels, fraction: 0.1, seed: 6) != subset)
        #expect(labelFractionSubset(labels, fraction: 1, seed: 5) == Array(0..<31))
    }

    @Test func lettersAndTheirText() throws {
        let manifest = try labelledCorpus("letters")
        let config = tinyTaskConfig(.ctc, manifest: manifest)
        let data = try FineTuningData(config: config)
        #expect(data.units.symbols == ["<blank>", "|", "a", "b", "m", "n", "o", "p", "t"])
        let first = try data.labels(.train).encoded[0]  // "pat bat"
        #expect(first == [7, 2, 8, 1, 3, 2, 8])
        #expect(data.text(first) == "pat bat")
        #expect(data.text([1, 1] + first + [1]) == "pat bat", "boundaries at the ends and doubled ones vanish")
    }

    @Test func towersStartFromAPretrainingCheckpointByName() throws {
        let pretrained = try trainedRun(tinyAudioConfig(steps: 2), "ft-init")
        defer { try? FileManager.default.removeItem(at: pretrained.url) }
        let manifest = try labelledCorpus("ft-init-data")
        var config = tinyTaskConfig(manifest: manifest)
        config.task!.initFrom = pretrained.url.appendingPathComponent("checkpoints/latest").path
        let task = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        let file = try SafeTensorsFile.read(contentsOf: pretrained.checkpoints.latest()!.modelFile)
        for name in ["blocks.0.attn.qkv.weight", "patch_embed.proj.weight", "cls_token", "norm.weight"] {
            #expect(task.store["audio_encoder." + name]!.value.scalars == (try file.tensor(name).scalars), "\(name)")
        }
        #expect(task.store.names.allSatisfy { !$0.contains("decoder") && !$0.contains("mask_token") })
        // From scratch, the same seed gives other weights.
        config.task!.initFrom = nil
        let scratch = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        #expect(scratch.store["audio_encoder.blocks.0.attn.qkv.weight"]!.value.scalars != (try file.tensor("blocks.0.attn.qkv.weight").scalars))
        // A checkpoint without the task's modality is an error naming it.
        config.task!.initFrom = pretrained.url.path
        config.task!.modality = .video
        #expect(throws: TrainError.self) { try FineTuning.makeTask(for: config, data: FineTuningData(config: config)) }
        do {
            _ = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        } catch {
            #expect(error.description.contains("holds no video tower"))
        }
    }

    @Test func lipReadingTowerStartsFromARAVEnCheckpoint() throws {
        // `duet finetune --init RUN/checkpoints/latest` of a raven run: its video student, batch-norm
        // statistics included, under video_encoder.; the audio tower and the predictors stay behind.
        let raven = tinyRAVEnConfig(steps: 2)
        let pretrained = try trainedRun(raven, "ft-raven-init")
        defer { try? FileManager.default.removeItem(at: pretrained.url) }
        var config = tinyTaskConfig(modality: .video, manifest: try labelledCorpus("ft-raven-data"))
        config.model.video = raven.model.video
        config.task!.initFrom = pretrained.url.appendingPathComponent("checkpoints/latest").path
        var lines: [String] = []
        let task = try FineTuning.makeTask(for: config, data: FineTuningData(config: config)) { lines.append($0) }
        let file = try SafeTensorsFile.read(contentsOf: pretrained.checkpoints.latest()!.modelFile)
        let tower = task.store.parameters(under: "video_encoder")
        #expect(tower.count == file.names.filter { $0.hasPrefix("video_encoder.") }.count)
        for p in tower { #expect(p.value.scalars == (try file.tensor(p.name).scalars), "\(p.name)") }
        #expect(task.store["video_encoder.frontend.frontend3D.1.running_mean"]!.value.scalars.contains { $0 != 0 })
        #expect(task.store.names.allSatisfy { !$0.hasPrefix("audio_encoder.") && !$0.hasPrefix("predictor") })
        #expect(lines == ["video tower from \(pretrained.checkpoints.latest()!.folder.path) (video_encoder.*)"])
    }

    @Test func rotaryTowersFineTuneOnlyAsRotaryTowers() throws {
        // A lip tower pretrained with rotary positions has no pos_embed to miss: the fine-tune's
        // objective.raven.positions must say rotary too, or the start is refused naming the key.
        var raven = tinyRAVEnConfig(steps: 2)
        raven.objective.raven.positions = .rotary
        let pretrained = try trainedRun(raven, "ft-rotary-init")
        defer { try? FileManager.default.removeItem(at: pretrained.url) }
        var config = tinyTaskConfig(modality: .video, manifest: try labelledCorpus("ft-rotary-data"))
        config.model.video = raven.model.video
        config.task!.initFrom = pretrained.url.appendingPathComponent("checkpoints/latest").path
        #expect {
            _ = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        } throws: { "\($0)".contains("objective.raven.positions") }
        config.objective.raven.positions = .rotary
        let task = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        #expect(task.store["video_encoder.pos_embed"] == nil)
        let file = try SafeTensorsFile.read(contentsOf: pretrained.checkpoints.latest()!.modelFile)
        #expect(task.store["video_encoder.blocks.0.attn.qkv.weight"]!.value.scalars
                == (try file.tensor("video_encoder.blocks.0.attn.qkv.weight").scalars))
        // Export's PyTorch module adds absolute positions: such a tower is refused, nothing written.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("duet-rotary-export-\(UUID().uuidString)").path
        #expect {
            try EncoderExport.run(checkpoint: pretrained.url.path, modality: .video, out: out)
        } throws: { "\($0)".contains("rotary") }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func lipReadingRecipeBuildsRavenTinysVideoTower() throws {
        // `duet finetune --config configs/lipread-word-raven-tiny.yaml --init <a raven-tiny run>`:
        // the recipe's tower is raven-tiny's, name for name and shape for shape, over the same frames.
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("configs")
        let raven = try RunConfig.load(contentsOf: configs.appendingPathComponent("raven-tiny.yaml").path)
        let lipread = try RunConfig.load(contentsOf: configs.appendingPathComponent("lipread-word-raven-tiny.yaml").path)
        let pretrained = ParameterStore(seed: 0), task = ParameterStore(seed: 0)
        _ = ObjectiveFactory.lipReadingTower(pretrained.builder.scope("video_encoder"), config: raven, dropPath: 0)
        _ = FineTuning.tower(for: lipread, modality: .video, store: task)
        pretrained.finalize()
        task.finalize()
        let shapes = { (store: ParameterStore) in store.parameters.map { "\($0.name) \($0.shape)" } }
        let differing = Set(shapes(task)).symmetricDifference(shapes(pretrained)).sorted()
        #expect(shapes(task).count == shapes(pretrained).count && differing.isEmpty,
                "lipread-word-raven-tiny.yaml's model.video must follow raven-tiny.yaml's: \(differing.prefix(4)) …")
        #expect(lipread.data.fps == raven.data.fps && lipread.data.clipSeconds == raven.data.clipSeconds)
        #expect(lipread.model.video.color == raven.model.video.color && lipread.model.video.size == raven.model.video.size)
    }

    @Test func fixedPositionsAreRecomputedForOtherClipLengths() throws {
        let pretrained = try trainedRun(tinyAudioConfig(steps: 2), "ft-positions")
        defer { try? FileManager.default.removeItem(at: pretrained.url) }
        var config = tinyTaskConfig(manifest: try labelledCorpus("ft-positions-data"))
        config.model.audio.frames = 64
        config.task!.initFrom = pretrained.url.path
        let task = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        #expect(task.store["audio_encoder.pos_embed"]!.shape == [1, 1 + 32, 32])
        // A learned tensor of another shape is a mismatch, not skipped.
        config.model.audio.transformer.dim = 16
        #expect(throws: TrainError.self) { try FineTuning.makeTask(for: config, data: FineTuningData(config: config)) }
    }

    @Test func layerwiseDecayPerTower() throws {
        var config = tinyTaskConfig(manifest: try labelledCorpus("ft-llrd"))
        config.model.audio.transformer.depth = 2
        let task = try FineTuning.makeTask(for: config, data: FineTuningData(config: config))
        let scales = task.learningRateScales(decay: 0.5)
        #expect(scales["audio_encoder.patch_embed.proj.weight"] == 0.125)
        #expect(scales["audio_encoder.cls_token"] == 0.125)
        #expect(scales["audio_encoder.blocks.0.mlp.fc1.weight"] == 0.25)
        #expect(scales["audio_encoder.blocks.1.attn.qkv.bias"] == 0.5)
        #expect(scales["audio_encoder.norm.weight"] == 1)
        #expect(scales["head.weight"] == nil, "the head trains at the full rate")
        #expect(task.learningRateScales(decay: 1).isEmpty)
    }

    @Test func frozenWarmupTrainsOnlyTheHead() throws {
        var config = tinyTaskConfig(manifest: try labelledCorpus("ft-freeze"), steps: 3)
        config.task!.freezeEncoderSteps = 2
        let data = try FineTuningData(config: config)
        let task = try FineTuning.makeTask(for: config, data: data)
        let trainer = try Trainer(config: config, objective: task, source: LabelledSource(config: config, labels: data.labels(.train)))
        let encoder = task.store["audio_encoder.blocks.0.mlp.fc1.weight"]!, head = task.store["head.weight"]!
        let (encoderStart, headStart) = (encoder.value.scalars, head.value.scalars)
        try trainer.trainStep()
        try trainer.trainStep()
        #expect(encoder.value.scalars == encoderStart, "frozen for two steps")
        #expect(head.value.scalars != headStart)
        try trainer.trainStep()
        #expect(encoder.value.scalars != encoderStart, "trained from step 2 on")
        #expect(task.store["audio_encoder.pos_embed"]!.isTrainable == false, "fixed positions stay fixed")
    }

    @Test func paddingFramesDoNotChangeTheLogits() throws {
        var config = tinyTaskConfig(.ctc, modality: .video, manifest: try labelledCorpus("ft-padding"))
        config.train.batchSize = 2
        let data = try FineTuningData(config: config)
        let task = try FineTuning.makeTask(for: config, data: data)
        let video = Tensor.randomNormal([2, 1, 8, 16, 16], stream: RandomStream(seed: 3))
        let other = video.copy()
        // Sample 0 has 5 valid frames: steps 0-2 (frames 0-5); step 3 (frames 6, 7) is padding.
        for i in (6 * 256)..<(8 * 256) { other.pointer[i] = 7 }
        let lengths = [5, 8]
        let (a, steps) = try task.logits(ObjectiveBatch(video: video, videoLengths: lengths), context: .evaluation)
        let (b, _) = try task.logits(ObjectiveBatch(video: other, videoLengths: lengths), context: .evaluation)
        #expect(steps == [3, 4])
        // [T', B, C]: sample 0's first 3 steps agree; sample 1 agrees everywhere.
        let c = a.shape[2]
        for t in 0..<4 {
            for s in 0..<2 where s == 1 || t < 3 {
                for k in 0..<c { #expect(abs(a.pointer[(t * 2 + s) * c + k] - b.pointer[(t * 2 + s) * c + k]) < 1e-5) }
            }
        }
    }

    @Test func lipReadingTowerFineTunes() throws {
        // RAVEn's video tower (front-end + Transformer, one token per frame) under the task.
        var config = tinyTaskConfig(.ctc, modality: .video, manifest: try labelledCorpus("ft-lip"), steps: 3)
        config.model.video.frontEnd = .lipResNet
        (config.model.video.resnetWidth, config.model.video.frames, config.model.video.size) = (2, 8, 8)
        config.train.batchSize = 2
        let data = try FineTuningData(config: config)
        let task = try FineTuning.makeTask(for: config, data: data)
        #expect(task.store["video_encoder.frontend.frontend3D.0.weight"] != nil && task.store["video_encoder.proj.weight"] != nil)
        #expect(task.store["video_encoder.blocks.0.ls1.gamma"] != nil, "RAVEn's LayerScale, as objective.raven.layer_scale says")
        let scales = task.learningRateScales(decay: 0.5)
        #expect(scales["video_encoder.frontend.trunk.layer1.0.conv1.weight"] == 0.25 && scales["video_encoder.blocks.0.attn.qkv.weight"] == 0.5)
        let source = LabelledSource(config: config, labels: try data.labels(.train), batches: 1, videoLengths: [8, 5])
        let (logits, steps) = try task.logits(source.batches[0], context: .evaluation)
        #expect(logits.shape == [8, 2, data.outputClasses] && steps == [8, 5], "one step per frame")
        let trainer = try Trainer(config: config, objective: task, source: source)
        #expect(try trainer.trainStep().loss > 0)
    }

    @Test func ravensAudioTowerFineTunesFromARavenCheckpoint() throws {
        // model.audio.tokens: frames builds RAVEn's filterbank-frame tower, and --init of a raven
        // run copies its student's audio tower into it name for name.
        let pretrained = try trainedRun(tinyRAVEnConfig(steps: 2), "ft-raven")
        defer { try? FileManager.default.removeItem(at: pretrained.url) }
        var config = tinyTaskConfig(modality: .audio, manifest: try labelledCorpus("ft-raven-data"), steps: 2)
        let raven = tinyRAVEnConfig()
        // The raven run's model section (its video front-end fixes the frames a time step holds).
        (config.model.audio, config.model.video) = (raven.model.audio, raven.model.video)
        (config.data.mels, config.data.clipSeconds) = (raven.data.mels, raven.data.clipSeconds)
        config.train.batchSize = 2
        config.task!.initFrom = pretrained.url.path
        let data = try FineTuningData(config: config)
        let task = try FineTuning.makeTask(for: config, data: data)
        let file = try SafeTensorsFile.read(contentsOf: pretrained.checkpoints.latest()!.modelFile)
        for name in ["patch_embed.proj.weight", "pos_embed", "blocks.0.attn.qkv.weight", "blocks.0.ls1.gamma", "norm.weight"] {
            #expect(task.store["audio_encoder." + name]!.value.scalars == (try file.tensor("audio_encoder." + name).scalars), "\(name)")
        }
        #expect(task.store["audio_encoder.patch_embed.proj.weight"]!.shape == [16, 1, 4, 8], "one token per 4 filterbank frames, all mels")
        let source = LabelledSource(config: config, labels: try data.labels(.train), batches: 1)
        let (logits, _) = try task.logits(source.batches[0], context: .evaluation)
        #expect(logits.shape == [2, data.outputClasses])
        #expect(try Trainer(config: config, objective: task, source: source).trainStep().loss > 0)
        // Filterbank frames that do not fill whole tokens are a config error naming the key.
        config.model.audio.frames = 22
        #expect {
            try FineTuning.makeTask(for: config, data: data)
        } throws: { "\($0)".contains("model.audio.frames") }
    }

    @Test func wordTaskGradients() throws {
        var config = tinyTaskConfig(modality: .audiovisual, manifest: try labelledCorpus("ft-grad"))
        config.model.audio.transformer = TransformerConfig(dim: 16, depth: 1, heads: 2, mlpRatio: 1)
        config.model.video.transformer = TransformerConfig(dim: 16, depth: 1, heads: 2, mlpRatio: 1)
        config.model.audio.frames = 16
        config.train.batchSize = 2
        let data = try FineTuningData(config: config)
        let task = try FineTuning.makeTask(for: config, data: data)
        // The head starts near zero; give it weights that pass gradients on.
        let head = task.store["head.weight"]!.value
        for i in 0..<head.count { head.pointer[i] = Float(i % 7) * 0.1 - 0.3 }
        let batch = LabelledSource(config: config, labels: try data.labels(.train), batches: 1, videoLengths: [8, 5]).batches[0]
        let context = StepContext(step: 0, forward: .evaluation)
        // The layers inside are checked on their own; here the parts that route the gradient
        // through this task (the head, the pooling over valid steps, the two towers' outputs,
        // the class token through attention with padding) are, a few hundred forward passes.
        let checked = ["head.", "_encoder.norm.", "_encoder.cls_token", "_encoder.blocks.0.attn.qkv.bias"]
        for p in task.store.parameters where !checked.contains(where: { p.name.contains($0) }) { p.isTrainable = false }
        checkModuleGradients(store: task.store, inputs: [], eps: 1e-2, tolerance: 3e-2) {
            (try? task(batch, context: context))!.loss
        }
    }

    @Test func trainerLowersWordAndCTCLosses() throws {
        for kind in [TaskKind.word, .ctc] {
            var config = tinyTaskConfig(kind, modality: kind == .word ? .audio : .video, manifest: try labelledCorpus("ft-\(kind)"),
                                        steps: 40)
            config.optim.lr = kind == .word ? 3e-3 : 1e-2
            config.task!.labelSmoothing = 0
            // 16 tubelet steps for transcripts of 7 letters and boundaries.
            config.model.video.frames = 32
            let data = try FineTuningData(config: config)
            let task = try FineTuning.makeTask(for: config, data: data)
            let trainer = try Trainer(config: config, objective: task,
                                      source: LabelledSource(config: config, labels: data.labels(.train), batches: 1))
            let first = try trainer.trainStep().loss
            #expect(first > 0.5, "\(kind): first loss \(first)")
            var last = first
            for _ in 1..<40 { last = try trainer.trainStep().loss }
            #expect(last < 0.5 * first, "\(kind): loss \(first) → \(last)")
        }
    }
}
