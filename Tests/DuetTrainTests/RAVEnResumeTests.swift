// raven through the trainer: a run stopped at a checkpoint and resumed ends with the students,
// the predictors and the EMA teachers bit-identical to the run that never stopped; the teachers
// are saved as teacher.safetensors under the students' names.
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

/// raven over 6 frames of 16×16 gray mouths (a width-4 lip-reading tower) and 24 filterbank
/// frames of 8 mels; towers 16 wide, predictors 8 wide, one block each.
func tinyRAVEnConfig(steps: Int = 8) -> RunConfig {
    var config = RunConfig()
    config.name = "tiny-raven"
    config.seed = 5
    config.objective.name = "raven"
    config.masking.kind = .spanStart
    config.masking.spanLength = 3
    config.model.audio.tokens = .frames
    config.model.audio.transformer = TransformerConfig(dim: 16, depth: 1, heads: 2)
    (config.model.audio.frames, config.model.audio.mels, config.data.mels) = (24, 8, 8)
    config.model.video.frontEnd = .lipResNet
    config.model.video.resnetWidth = 4
    config.model.video.transformer = TransformerConfig(dim: 16, depth: 1, heads: 2)
    (config.model.video.frames, config.model.video.size, config.model.video.color) = (6, 16, .gray)
    config.data.clipSeconds = 0.24
    config.objective.raven.predictor = TransformerConfig(dim: 8, depth: 1, heads: 2)
    config.optim.lr = 3e-3
    config.schedule.warmupSteps = 2
    (config.train.steps, config.train.batchSize, config.train.logEvery) = (steps, 3, 1)
    (config.train.evalEvery, config.train.checkpointEvery, config.train.keepCheckpoints) = (0, 2, 5)
    return config
}

@Suite struct RAVEnResumeTests {
    func trainer(_ config: RunConfig, run: URL, resumingFrom checkpoint: Checkpoint? = nil) throws -> (Trainer, RAVEn) {
        let objective = try ObjectiveFactory.makeObjective(for: config) as! RAVEn
        let trainer = try Trainer(config: config, objective: objective,
                                  source: SyntheticBatchSource(config: config, split: .train, clips: 24),
                                  run: RunFolder(url: run), resumingFrom: checkpoint)
        return (trainer, objective)
    }

    @Test func resumedRunMatchesTheStraightRunBitForBitTeachersIncluded() throws {
        let config = tinyRAVEnConfig(steps: 4)
        let straight = freshFolder("raven-straight"), stopped = freshFolder("raven-stopped")
        defer { for folder in [straight, stopped] { try? FileManager.default.removeItem(at: folder) } }
        let (a, ravenA) = try trainer(config, run: straight)
        try a.train()
        try trainer(config, run: stopped).0.train(until: 3)
        let resumeFrom = RunFolder(url: stopped).checkpoints.checkpoints()[0].checkpoint
        // The teachers are saved under the students' tower names.
        let saved = try SafeTensorsFile.read(contentsOf: resumeFrom.storeFile("teacher"))
        #expect(saved.names.contains("video_encoder.frontend.frontend3D.0.weight"))
        #expect(saved.names.contains("audio_encoder.blocks.0.attn.qkv.weight"))
        #expect(!saved.names.contains { $0.hasPrefix("predictor_") })
        let (b, ravenB) = try trainer(config, run: stopped, resumingFrom: resumeFrom)
        #expect(b.step == 2)
        try b.train()

        #expect(ravenA.store.values!.scalars == ravenB.store.values!.scalars)
        #expect(ravenA.teacherStore.values!.scalars == ravenB.teacherStore.values!.scalars)
        let towers = Array(ravenA.store.values!.scalars.prefix(ravenA.teacherStore.scalarCount))
        #expect(ravenA.teacherStore.values!.scalars != towers, "the teachers lag the students")
    }
}

@Suite struct RAVEnConfigTests {
    @Test func ravenBaseHoldsThePapersNumbers() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs")
        let base = try RunConfig.load(contentsOf: folder.appendingPathComponent("raven-base.yaml").path)
        #expect(base.objective.name == "raven")
        #expect(base.masking.kind == .spanStart)
        #expect(base.masking.startProb == 0.2)
        #expect(base.masking.spanLength == 3)
        #expect(base.model.video.frontEnd == .lipResNet)
        #expect(base.model.video.resnetWidth == 64)
        #expect(base.model.video.transformer == TransformerConfig(dim: 512, depth: 12, heads: 8))
        #expect(base.model.audio.tokens == .frames)
        #expect(base.model.audio.frames == 4 * base.model.video.frames)
        #expect(base.objective.raven.momentum == 0.999)
        #expect(base.objective.raven.predictor == TransformerConfig(dim: 512, depth: 2, heads: 8))
        #expect(base.objective.raven.layerScale == 0.1)
    }

    @Test func ravenNeedsOneAudioTokenPerVideoStep() {
        var config = tinyRAVEnConfig()
        config.model.audio.tokens = .patches
        #expect(throws: ConfigError.self) { try config.validate() }
        config = tinyRAVEnConfig()
        config.model.audio.frames = 20
        #expect { try config.validate() } throws: { "\($0)".contains("model.audio.frames: must be 24") }
        config = tinyRAVEnConfig()
        config.masking.kind = .random
        #expect { try config.validate() } throws: { "\($0)".contains("masking.kind") }
        config = tinyRAVEnConfig()
        config.data.fps = 30
        #expect(throws: ConfigError.self) { try config.validate() }
    }

    /// `objective.raven.positions: rotary`: both towers drop their added position table and rotate
    /// queries and keys instead, students and teachers alike; towers that cannot take it are named.
    @Test func rotaryPositionsReplaceTheTowersPositionTables() throws {
        var config = tinyRAVEnConfig()
        config.objective.raven.positions = .rotary
        try config.validate()
        let raven = try ObjectiveFactory.makeObjective(for: config) as! RAVEn
        for store in [raven.store, raven.teacherStore] {
            #expect(!store.parameters.contains { $0.name.hasSuffix("pos_embed") && $0.name.contains("_encoder.") })
        }
        for tower in [raven.audio, raven.video, raven.audioTeacher, raven.videoTeacher] {
            #expect(tower.encoder.blocks.allSatisfy { $0.attn.rotaryPositions })
        }
        let absolute = try ObjectiveFactory.makeObjective(for: tinyRAVEnConfig()) as! RAVEn
        #expect(absolute.store.parameters.contains { $0.name == "video_encoder.pos_embed" })
        #expect(absolute.video.encoder.blocks.allSatisfy { !$0.attn.rotaryPositions })

        config.model.video.transformer.heads = 16  // head width 1
        #expect { try config.validate() } throws: { "\($0)".contains("model.video.heads") && "\($0)".contains("even head width") }
        config = tinyRAVEnConfig()
        config.objective.raven.positions = .rotary
        (config.model.video.frontEnd, config.model.video.tubelet, config.model.video.patch) = (.tubelets, 2, 8)
        #expect { try config.validate() } throws: { "\($0)".contains("objective.raven.positions") }
    }
}

@Suite struct RAVEnProbeLoadingTests {
    /// `duet evaluate --probe` rebuilds the objective with the checkpoint's teachers as well as
    /// its students: RAVEn's retrieval compares against the audio teacher's targets, and a
    /// teacher left at its initialisation would put retrieval at chance whatever was learned.
    @Test func probeLoadsTheCheckpointsTeachers() throws {
        let config = tinyRAVEnConfig(steps: 2)
        let run = freshFolder("raven-probe-loading")
        defer { try? FileManager.default.removeItem(at: run) }
        let trained = try ObjectiveFactory.makeObjective(for: config) as! RAVEn
        try Trainer(config: config, objective: trained, source: SyntheticBatchSource(config: config, split: .train, clips: 24),
                    run: RunFolder(url: run)).train()
        let checkpoint = RunFolder(url: run).checkpoints.checkpoints().last!.checkpoint

        let loaded = try Probing.objective(ProbeOptions(checkpoint: checkpoint.folder.path)).objective as! RAVEn
        // Compared as Bools: a failing array comparison would print every parameter.
        let sameStudents = loaded.store.values!.scalars == trained.store.values!.scalars
        let sameTeachers = loaded.teacherStore.values!.scalars == trained.teacherStore.values!.scalars
        #expect(sameStudents, "the students are the checkpoint's")
        #expect(sameTeachers, "the teachers are the checkpoint's, not their initialisation")
        let initial = try Probing.objective(ProbeOptions(checkpoint: checkpoint.folder.path, randomInit: true)).objective as! RAVEn
        let initialTeachers = initial.teacherStore.values!.scalars == trained.teacherStore.values!.scalars
        #expect(!initialTeachers, "--random-init keeps the initialisation")
    }
}
