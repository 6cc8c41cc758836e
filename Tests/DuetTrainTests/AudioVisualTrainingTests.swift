// The audio-visual objectives inside the trainer: data2vec2's EMA teacher and MAViL stage 2's
// frozen teacher survive checkpoint → resume bit for bit; objective.teacher is resolved from a
// run folder, and a missing, damaged or mismatched teacher is a config error naming its path.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

/// Audio 32 frames × 32 mels in 8 × 8 patches (16 tokens), video 4 gray 16² frames in 2×8×8
/// tubelets (8 tokens), 16-wide one-block towers: a step takes milliseconds in debug.
func tinyAudioVisualConfig(_ objective: String, steps: Int = 6) -> RunConfig {
    var config = tinyAudioConfig(steps: steps)
    config.name = "tiny-av"
    config.objective.name = objective
    config.model.audio.transformer = TransformerConfig(dim: 16, depth: 2, heads: 2)
    config.model.video.transformer = TransformerConfig(dim: 16, depth: 2, heads: 2)
    (config.model.video.frames, config.model.video.size, config.model.video.patch, config.model.video.tubelet) = (4, 16, 8, 2)
    config.model.video.color = .gray
    config.model.decoder = TransformerConfig(dim: 16, depth: 1, heads: 2)
    config.masking.ratio = 0.8
    config.objective.mavil.fusionDepth = 1
    config.objective.mavil.projectionDim = 8
    var d2v = config.objective.data2vec2
    (d2v.clones, d2v.topK, d2v.decoderDim, d2v.decoderLayers, d2v.decoderKernel, d2v.decoderGroups) = (2, 2, 16, 1, 3, 4)
    d2v.emaAnnealSteps = steps
    config.objective.data2vec2 = d2v
    config.masking.spanLength = 1
    config.masking.blockSize = 1
    (config.train.evalEvery, config.train.checkpointEvery) = (0, 2)
    return config
}

private let configsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("configs", isDirectory: true)

@Suite struct AudioVisualTrainingTests {
    /// Trains `config` straight through, and again stopped at `stop` then resumed from the
    /// checkpoint at `resume`; returns both trainers.
    func straightAndResumed(_ config: RunConfig, stop: Int, resume: Int) throws -> (Trainer, Trainer) {
        let straight = freshFolder("av-straight"), stopped = freshFolder("av-stopped")
        defer { for folder in [straight, stopped] { try? FileManager.default.removeItem(at: folder) } }
        let a = try makeTrainer(config, run: straight)
        try a.train()
        try makeTrainer(config, run: stopped).train(until: stop)
        let checkpoint = RunFolder(url: stopped).checkpoints.checkpoints().first { $0.step == resume }!.checkpoint
        let b = try makeTrainer(config, run: stopped, resumingFrom: checkpoint)
        #expect(b.step == resume)
        try b.train()
        return (a, b)
    }

    @Test func data2vec2ResumesParametersAndTeacherBitForBit() throws {
        let config = tinyAudioVisualConfig("data2vec2")
        let (a, b) = try straightAndResumed(config, stop: 4, resume: 2)
        #expect(a.store.values!.scalars == b.store.values!.scalars)
        let teacherA = a.objective.checkpointedStores["teacher"]!.values!.scalars
        let teacherB = b.objective.checkpointedStores["teacher"]!.values!.scalars
        #expect(teacherA == teacherB)
        #expect(teacherA != a.store.values!.scalars, "the teacher lags the student")
    }

    @Test func mavilStageTwoLoadsItsTeacherAndResumesBitForBit() throws {
        let stage1 = tinyAudioVisualConfig("mavil", steps: 2)
        let teacherRun = try trainedRun(stage1, "mavil-stage1")
        defer { try? FileManager.default.removeItem(at: teacherRun.url) }
        var stage2 = tinyAudioVisualConfig("mavil")
        stage2.seed = 5
        stage2.objective.mavil.stage = 2
        stage2.objective.teacher = teacherRun.url.appendingPathComponent("checkpoints/latest").path
        let objective = try #require(try ObjectiveFactory.makeObjective(for: stage2) as? MAViLStage2)
        let saved = try SafeTensorsFile.read(contentsOf: teacherRun.checkpoints.latest()!.modelFile)
        for p in objective.teacherStore.parameters {
            #expect(try saved.tensor(p.name).scalars == p.value.scalars, "\(p.name)")
        }
        #expect(objective.teacherStore["audio_proj.weight"] == nil, "only towers and fusion are loaded")
        let (a, b) = try straightAndResumed(stage2, stop: 4, resume: 2)
        #expect(a.store.values!.scalars == b.store.values!.scalars)
    }

    @Test func badTeachersAreNamed() throws {
        var config = tinyAudioVisualConfig("mavil")
        config.objective.mavil.stage = 2
        config.objective.teacher = "/nonexistent/run/checkpoints/latest"
        #expect { try ObjectiveFactory.makeObjective(for: config) } throws: { error in
            let e = error as! ConfigError
            return e.keyPath == "objective.teacher" && e.description.contains("/nonexistent/run")
        }
        let teacherRun = try trainedRun(tinyAudioVisualConfig("mavil", steps: 2), "mavil-bad-teacher")
        defer { try? FileManager.default.removeItem(at: teacherRun.url) }
        let checkpoint = teacherRun.checkpoints.latest()!
        config.objective.teacher = checkpoint.folder.path
        // Another input size: the teacher's grid does not fit.
        var other = config
        other.model.audio.frames = 64
        #expect { try ObjectiveFactory.makeObjective(for: other) } throws: { error in
            "\(error)".contains("token grids") && "\(error)".contains(checkpoint.folder.path)
        }
        // A damaged model file.
        let model = try Data(contentsOf: checkpoint.modelFile)
        try model.prefix(model.count / 2).write(to: checkpoint.modelFile)
        #expect { try ObjectiveFactory.makeObjective(for: config) } throws: { error in
            "\(error)".contains("objective.teacher") && "\(error)".contains(checkpoint.modelFile.path)
        }
        // A teacher of another objective.
        let maeRun = try trainedRun(tinyAudioConfig(steps: 2), "mae-teacher")
        defer { try? FileManager.default.removeItem(at: maeRun.url) }
        config.objective.teacher = maeRun.url.path
        #expect { try ObjectiveFactory.makeObjective(for: config) } throws: { error in
            "\(error)".contains("is a mae-audio run")
        }
    }

    @Test func recipesHoldThePapersNumbers() throws {
        let mavil = try RunConfig.load(contentsOf: configsFolder.appendingPathComponent("mavil-base.yaml").path)
        #expect(mavil.objective.name == "mavil" && mavil.objective.mavil.fusionDepth == 2)
        #expect(mavil.model.audio.dim == 768 && mavil.model.video.frames == 8 && mavil.model.video.size == 224)
        let d2v = try RunConfig.load(contentsOf: configsFolder.appendingPathComponent("data2vec2-av-base.yaml").path)
        #expect(d2v.objective.data2vec2.clones == 8 && d2v.objective.data2vec2.topK == 8)
        #expect(d2v.objective.data2vec2.emaStart == 0.999 && d2v.objective.data2vec2.emaEnd == 0.99999)
        #expect(d2v.objective.data2vec2.minTargetVar == 0.1 && d2v.objective.data2vec2.minPredVar == 0.01)
        var stage2 = try RunConfig.load(contentsOf: configsFolder.appendingPathComponent("mavil-stage2-tiny.yaml").path,
                                        overrides: ["objective.teacher=runs/x/checkpoints/latest"])
        #expect(stage2.objective.mavil.stage == 2)
        stage2.objective.teacher = nil
        // A recipe may leave the teacher to --set; a run may not.
        try stage2.validate()
        #expect { _ = try RunConfig(yaml: stage2.yaml, checkingFiles: true) } throws: { error in
            (error as? ConfigError)?.keyPath == "objective.teacher"
        }
        #expect { try ObjectiveFactory.makeObjective(for: stage2) } throws: { error in
            (error as? ConfigError)?.keyPath == "objective.teacher"
        }
    }
}
