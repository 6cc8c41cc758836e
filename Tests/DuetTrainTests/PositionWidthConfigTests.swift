// Widths that fixed sine-cosine positions cannot split are config errors naming the key and the
// rule (even in 1-D, a multiple of 4 in 2-D, of 16 in 3-D), not a precondition in the table; the
// widths the rules let through build their objective.
import Foundation
import Testing
@testable import DuetTrain

private let configsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("configs", isDirectory: true)

/// The config error of `yaml` with `overrides`, or nil (and an Issue) when it decodes.
private func error(_ yaml: String, _ overrides: [String]) -> ConfigError? {
    do {
        _ = try RunConfig(yaml: yaml, file: "test.yaml", overrides: overrides)
        Issue.record("expected a ConfigError for \(overrides)")
        return nil
    } catch {
        return error
    }
}

/// A small video run (2 × 32² frames of 16² patches) whose objective builds in milliseconds.
private let smallVideo = "model:\n  video:\n    frames: 4\n    size: 32\n    depth: 1\n  decoder:\n    depth: 1\n"

@Suite("Position widths")
struct PositionWidthConfigTests {
    private let rules = [
        1: "must be a multiple of 2: ", 2: "must be a multiple of 4: ", 3: "must be a multiple of 16: ",
    ]

    @Test func tubeletTowersNeedAMultipleOf16() {
        let error = error("", ["objective.name=mae-video", "masking.kind=tube", "model.video.dim=168"])
        #expect(error?.keyPath == "model.video.dim")
        #expect(error?.description == "--set model.video.dim=168: model.video.dim: must be a multiple of 16: the fixed 3-D sine-cosine "
                + "positions of the tubelet tower give a quarter of it to time and three quarters to the patch grid, in sine "
                + "and cosine halves, got 168")
    }

    @Test func patchTowersAndTheirDecoderNeedAMultipleOf4() {
        let tower = error("", ["model.audio.dim=198"])
        #expect(tower?.keyPath == "model.audio.dim")
        #expect(tower?.description.contains(rules[2]! + "the fixed 2-D sine-cosine positions of the patch tower give half") == true)
        let decoder = error("", ["model.decoder.dim=198"])
        #expect(decoder?.keyPath == "model.decoder.dim")
        #expect(decoder?.description.contains(rules[2]! + "the fixed 2-D sine-cosine positions of the decoder") == true)
    }

    @Test func theDecoderTakesTheRuleOfEveryTowerItDecodes() throws {
        // 200 splits over an audio patch grid (2-D), not over tubelets (3-D): MAViL decodes both.
        _ = try RunConfig(yaml: "", overrides: ["model.decoder={dim: 200, heads: 4}"])
        for objective in ["mae-video", "mavil", "mvd"] {
            let error = error("", ["objective.name=\(objective)", "masking.kind=random", "objective.video_teacher=/t",
                                   "model.decoder={dim: 200, heads: 4}"])
            #expect(error?.keyPath == "model.decoder.dim", "\(objective)")
            #expect(error?.description.contains(rules[3]!) == true, "\(objective)")
        }
        // data2vec 2.0's decoder is convolutional: no table, no rule.
        _ = try RunConfig(yaml: "", overrides: ["objective.name=data2vec2", "model.decoder={dim: 200, heads: 4}"])
    }

    @Test func theStudentOfADistillationTakesItsTowersRule() {
        for (objective, extra) in [("dmae", "objective.modality=video"), ("mimco", "objective.modality=video"), ("mvd", "objective.video_teacher=/t")] {
            let error = error("", ["objective.name=\(objective)", "masking.kind=random", "objective.teacher=/t", extra,
                                   "model.video={dim: 200, heads: 4}"])
            #expect(error?.keyPath == "model.video.dim", "\(objective)")
            #expect(error?.description.contains(rules[3]! + "the fixed 3-D sine-cosine positions of the tubelet tower") == true, "\(objective)")
        }
    }

    @Test func framesAreImagesInMAEImage() throws {
        // The same width is a 2-D frame tower in mae-image (accepted, and it builds) and a 3-D
        // tubelet tower in mae-video (refused).
        let overrides = ["masking.kind=random", "masking.ratio=0.5", "model.video={dim: 196, heads: 4}", "model.decoder={dim: 196, heads: 4}"]
        let config = try RunConfig(yaml: smallVideo, overrides: ["objective.name=mae-image"] + overrides)
        _ = try ObjectiveFactory.makeObjective(for: config)
        #expect(error(smallVideo, ["objective.name=mae-video"] + overrides)?.keyPath == "model.video.dim")
    }

    @Test func ravensTowersAndPredictorsAreOneDimensional() throws {
        let recipe = try String(contentsOf: configsFolder.appendingPathComponent("raven-tiny.yaml"), encoding: .utf8)
        let predictor = error(recipe, ["objective.raven.predictor.dim=129"])
        #expect(predictor?.keyPath == "objective.raven.predictor.dim")
        #expect(predictor?.description.contains(rules[1]! + "the fixed 1-D sine-cosine positions of RAVEn's predictors are a sine half and a cosine half, got 129") == true)
        let video = error(recipe, ["model.video.dim=195"])
        #expect(video?.keyPath == "model.video.dim")
        #expect(video?.description.contains(rules[1]! + "the fixed 1-D sine-cosine positions of the lip-reading tower") == true)
        #expect(error(recipe, ["model.audio.dim=195"])?.description.contains(rules[1]! + "the fixed 1-D sine-cosine positions of the filterbank-frame tower") == true)
        // 1-D tables need only an even width: 198 is neither a multiple of 4 nor of 16.
        _ = try RunConfig(yaml: recipe, overrides: ["model.audio.dim=198", "model.video.dim=198", "objective.raven.predictor.dim=198"])
    }

    @Test func fineTuningTowersKeepTheirRules() throws {
        let task = "task:\n  kind: word\n  modality: audiovisual\n"
        let tubelets = error(task, ["model.video.dim=168"])
        #expect(tubelets?.keyPath == "model.video.dim" && tubelets?.description.contains(rules[3]!) == true)
        #expect(error(task, ["model.audio.dim=198"])?.description.contains(rules[2]!) == true)
        // A fine-tuned lip-reading tower is 1-D; a task builds no decoder.
        _ = try RunConfig(yaml: task, overrides: ["model.video.front_end=lip_resnet", "model.video.color=gray",
                                                  "model.video.dim=198", "model.decoder={dim: 198, heads: 3}"])
    }
}
