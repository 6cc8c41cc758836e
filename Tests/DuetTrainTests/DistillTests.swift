// duet distill's config and factory: a timm-format image ViT and a Duet run both load as MVD's
// teachers and train; a teacher that does not fit, or none, stops before training with the key
// and the file.
import Foundation
import Testing
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import DuetTestSupport
@testable import DuetTrain

@Suite struct DistillTests {
    /// 4 RGB 32×32 frames in 2×16×16 tubelets (8 tokens): the timm fixture's image geometry.
    static func videoConfig(_ name: String, dim: Int) -> RunConfig {
        var config = tinyAudioConfig(steps: 2)
        config.name = name
        config.objective.name = "mae-video"
        config.model.video.transformer = TransformerConfig(dim: dim, depth: 1, heads: 2)
        (config.model.video.frames, config.model.video.size, config.model.video.patch, config.model.video.tubelet) = (4, 32, 16, 2)
        config.model.video.color = .rgb
        config.masking.kind = .tube
        config.masking.ratio = 0.5
        (config.train.evalEvery, config.train.checkpointEvery) = (0, 2)
        return config
    }

    /// The vit_tiny_timm fixture as a timm state dict file (its names without `param.`).
    static func timmFile() throws -> URL {
        let fx = try Fixture.load("vit_tiny_timm")
        var dict: [String: Tensor] = [:]
        for key in fx.keys(prefix: "param.") { dict[String(key.dropFirst(6))] = try fx.tensor(key) }
        let url = freshFolder("timm").appendingPathComponent("vit_tiny.safetensors")
        try SafeTensorsWriter.write(dict, metadata: ["heads": "3"], to: url)
        return url
    }

    static func mvdConfig(imageTeacher: String?, videoTeacher: String?) -> RunConfig {
        var config = videoConfig("mvd", dim: 16)
        config.objective.name = "mvd"
        config.model.decoder = TransformerConfig(dim: 16, depth: 1, heads: 2)
        config.objective.distill.imageTeacher = imageTeacher
        config.objective.distill.videoTeacher = videoTeacher
        config.objective.distill.normTargets = true
        return config
    }

    @Test func timmViTAndDuetRunTeachAnMVDStudent() throws {
        let teacherRun = try trainedRun(Self.videoConfig("teacher", dim: 32), "mvd-teacher")
        defer { try? FileManager.default.removeItem(at: teacherRun.url) }
        let timm = try Self.timmFile()
        defer { try? FileManager.default.removeItem(at: timm.deletingLastPathComponent()) }
        let config = Self.mvdConfig(imageTeacher: timm.path, videoTeacher: teacherRun.url.path)
        try config.checkFiles(at: ConfigSource(file: "<test>").root)
        let mvd = try #require(try ObjectiveFactory.makeObjective(for: config) as? MaskedVideoDistillation)
        #expect(mvd.targets.map(\.name) == ["img", "vid"])
        // The image teacher's heads come from the file's metadata, the run's from its state.json.
        #expect(mvd.targets[0].teacher.heads == 3 && mvd.targets[0].teacher.dim == 48)
        #expect(mvd.targets[1].teacher.heads == 2 && mvd.targets[1].teacher.dim == 32)
        #expect(ObjectiveFactory.modalities(of: config) == (false, true))
        let student = try trainedRun(config, "mvd-student")
        defer { try? FileManager.default.removeItem(at: student.url) }
        let records = try metricsRecords(student.metricsFile)
        #expect(records.count == 2 && records.allSatisfy { $0["loss"]!.isFinite })
    }

    @Test func bigAudioTowerTeachesASmallOne() throws {
        var teacherConfig = tinyAudioConfig(steps: 2)
        teacherConfig.model.audio.transformer = TransformerConfig(dim: 32, depth: 2, heads: 2)
        (teacherConfig.train.evalEvery, teacherConfig.train.checkpointEvery) = (0, 2)
        let teacherRun = try trainedRun(teacherConfig, "audio-teacher")
        defer { try? FileManager.default.removeItem(at: teacherRun.url) }
        var config = tinyAudioConfig(steps: 2)
        config.objective.name = "distill-audio"
        config.model.audio.transformer = TransformerConfig(dim: 16, depth: 1, heads: 2)
        config.objective.distill.audioTeacher = teacherRun.url.appendingPathComponent("checkpoints/latest").path
        config.objective.distill.teacherBlock = 0
        let distill = try #require(try ObjectiveFactory.makeObjective(for: config) as? MaskedVideoDistillation)
        #expect(distill.targets.map(\.name) == ["aud"] && distill.targets[0].teacher.blocks.count == 1)
        let batch = try SyntheticBatchSource(config: config, split: .train, clips: 8).next()
        let out = try distill(batch, context: StepContext(step: 0, forward: ForwardContext(isTraining: true)))
        #expect(out.loss.item.isFinite && out.metrics["loss_aud"] != nil)
        // The student encodes its whole input for probes: [B, N, D] with no class token.
        #expect(try distill.encode(batch, modality: .audio, context: .evaluation).shape == [4, 16, 16])
    }

    @Test func mismatchedOrMissingTeachersStopBeforeTraining() throws {
        let timm = try Self.timmFile()
        defer { try? FileManager.default.removeItem(at: timm.deletingLastPathComponent()) }
        // The student cuts 8×8 patches; the timm teacher 16×16 ones.
        var config = Self.mvdConfig(imageTeacher: timm.path, videoTeacher: nil)
        config.model.video.patch = 8
        do {
            _ = try ObjectiveFactory.makeObjective(for: config)
            Issue.record("a 16×16-patch teacher taught an 8×8-patch student")
        } catch {
            #expect(error.description.contains("objective.image_teacher") && error.description.contains(timm.path)
                    && error.description.contains("patch_embed.proj.weight"))
        }
        // A video teacher file that is an image ViT.
        let video = Self.mvdConfig(imageTeacher: nil, videoTeacher: timm.path)
        #expect(throws: ConfigError.self) { try ObjectiveFactory.makeObjective(for: video) }
        // No teacher at all, and a teacher path that does not exist.
        #expect(throws: ConfigError.self) { try Self.mvdConfig(imageTeacher: nil, videoTeacher: nil).validate() }
        let absent = Self.mvdConfig(imageTeacher: nil, videoTeacher: "/nonexistent/teacher.safetensors")
        do {
            try absent.checkFiles(at: ConfigSource(file: "<test>").root)
            Issue.record("a missing teacher file passed")
        } catch {
            #expect(error.description.contains("objective.video_teacher"))
        }
        var dmae = Self.videoConfig("dmae", dim: 16)
        dmae.objective.name = "dmae"
        #expect(throws: ConfigError.self) { try dmae.validate() }
        dmae.objective.teacher = timm.path
        dmae.objective.distill.studentBlock = 3
        #expect(throws: ConfigError.self) { try dmae.validate() }
    }

    @Test func distillTrainsOnlyDistillationObjectives() {
        #expect(throws: TrainError.self) { try Distillation.requireDistillation(tinyAudioConfig()) }
        var config = tinyAudioConfig()
        config.objective.name = "mimco"
        #expect(throws: Never.self) { try Distillation.requireDistillation(config) }
    }
}
