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
        let (image, video) = (try #require(mvd.targets[0].teacher as? TeacherEncoder), try #require(mvd.targets[1].teacher as? TeacherEncoder))
        #expect(image.heads == 3 && image.dim == 48 && video.heads == 2 && video.dim == 32)
        #expect(mvd.targets[1].alignment == .sameTokens)
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
        #expect(distill.targets.map(\.name) == ["aud"] && distill.targets[0].teacher.lastBlock == 0)
        let batch = try SyntheticBatchSource(config: config, split: .train, clips: 8).next()
        let out = try distill(batch, context: StepContext(step: 0, forward: ForwardContext(isTraining: true)))
        #expect(out.loss.item.isFinite && out.metrics["loss_aud"] != nil)
        // The student encodes its whole input for probes: [B, N, D] with no class token.
        #expect(try distill.encode(batch, modality: .audio, context: .evaluation).shape == [4, 16, 16])
    }

    /// mvd's student over tiny raven's frames (6 gray 16² frames): 2×8×8 tubelets, 3 steps of 4.
    static func mvdOverRAVEnFrames(videoTeacher: String) -> RunConfig {
        let raven = tinyRAVEnConfig(steps: 2)
        var config = mvdConfig(imageTeacher: nil, videoTeacher: videoTeacher)
        (config.model.video.frames, config.model.video.size, config.model.video.color) = (raven.model.video.frames, raven.model.video.size, .gray)
        (config.model.video.patch, config.model.video.tubelet) = (8, 2)
        (config.data.clipSeconds, config.data.fps) = (raven.data.clipSeconds, raven.data.fps)
        return config
    }

    @Test func ravenLipTowerTeachesAnMVDStudentThroughItsFrames() throws {
        let ravenRun = try trainedRun(tinyRAVEnConfig(steps: 2), "mvd-raven-teacher")
        defer { try? FileManager.default.removeItem(at: ravenRun.url) }
        let config = Self.mvdOverRAVEnFrames(videoTeacher: ravenRun.url.path)
        let mvd = try #require(try ObjectiveFactory.makeObjective(for: config) as? MaskedVideoDistillation)
        let teacher = try #require(mvd.targets.first?.teacher as? TowerTeacher)
        #expect(mvd.targets.map(\.name) == ["vid"] && teacher.dim == 16 && teacher.lastBlock == 0)
        #expect(mvd.targets[0].alignment == .sharedPerStep(framesPerStep: 2, tokensPerStep: 4))
        // The teacher holds the run's student tower, name for name.
        let (weights, _) = try TowerLookup.read(try TowerLookup.checkpoint(ravenRun.url.path))
        let saved = try weights.tensor("video_encoder.proj.weight")
        #expect(teacher.store["video_encoder.proj.weight"]?.value.scalars == saved.scalars)
        // Targets: the tower's frames after its block, averaged over each tubelet's two frames,
        // each step's mean for its four tubelets.
        let x = Tensor.randomNormal([2, 1, 6, 16, 16], stream: RandomStream(seed: 7))
        let frames = teacher.features(x)
        #expect(frames.shape == [2, 6, 16])
        let targets = mvd.targets[0].features(of: x, layerNorm: false)
        #expect(targets.shape == [2, 12, 16])
        for (b, step, token, channel) in [(0, 0, 0, 0), (0, 1, 3, 5), (1, 2, 2, 15)] {
            let frame = { (t: Int) in frames.pointer[(b * 6 + t) * 16 + channel] }
            let expected = (frame(2 * step) + frame(2 * step + 1)) / 2
            #expect(abs(targets.pointer[(b * 12 + step * 4 + token) * 16 + channel] - expected) < 1e-6)
        }
        let student = try trainedRun(config, "mvd-raven-student")
        defer { try? FileManager.default.removeItem(at: student.url) }
        #expect(try metricsRecords(student.metricsFile).allSatisfy { $0["loss_vid"]!.isFinite })
        // A lip-reading student of the same tower with BRAVEn's targets: one target a frame, the
        // block outputs' mean (one block here) normalised per channel over the clip's frames.
        var lip = config
        (lip.model.video.frontEnd, lip.model.video.resnetWidth, lip.objective.distill.videoTeacherTargets) = (.lipResNet, 4, .braven)
        let lipStudent = try #require(try ObjectiveFactory.makeObjective(for: lip) as? MaskedVideoDistillation)
        #expect(lipStudent.targets[0].alignment == .sharedPerStep(framesPerStep: 1, tokensPerStep: 1))
        #expect(lipStudent.grid.tokens == 6 && lipStudent.masking is TimeSpanMasking)
        let braven = lipStudent.targets[0].features(of: x, layerNorm: false)
        #expect(braven.shape == [2, 6, 16])
        for (b, channel) in [(0, 0), (1, 9)] {
            let values = (0..<6).map { Double(frames.pointer[(b * 6 + $0) * 16 + channel]) }
            let mean = values.reduce(0, +) / 6
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6 + 1e-5).squareRoot()
            for t in 0..<6 { #expect(abs(Double(braven.pointer[(b * 6 + t) * 16 + channel]) - (values[t] - mean) / std) < 1e-4) }
        }
        // A student reading other frames than the tower read stops, naming the key and the setting.
        var other = config
        other.model.video.frames = 4
        other.data.clipSeconds = 0.16
        do {
            _ = try ObjectiveFactory.makeObjective(for: other)
            Issue.record("a lip tower over 6 frames taught a student over 4")
        } catch {
            #expect(error.description.contains("objective.video_teacher") && error.description.contains("model.video.frames is 4 here and 6"))
        }
        // So does one whose frames are centred over each clip while the tower's were not.
        var centred = config
        centred.data.videoNorm = .clipMean
        #expect { try ObjectiveFactory.makeObjective(for: centred) } throws: { error in
            "\(error)".contains("data.video_norm is clip_mean here and dataset in the teacher's run")
        }
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
