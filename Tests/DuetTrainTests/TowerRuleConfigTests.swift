// Config rules on the towers a run builds, which the release build's unchecked preconditions
// would otherwise meet as silent wrong shapes: each bad combination stops with its key named.
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

@Suite struct TowerRuleConfigTests {
    /// A word fine-tune of the lip-reading tower (8 gray 16² frames).
    func lipWordTask() -> RunConfig {
        var config = tinyTaskConfig(.word, modality: .video, manifest: "/nonexistent/train.tsv")
        config.model.video.frontEnd = .lipResNet
        return config
    }

    @Test func aLipReadingFineTuneNeedsGrayFrames() throws {
        var config = lipWordTask()
        try config.validate()
        config.model.video.color = .rgb
        #expect { try config.validate() } throws: { "\($0)".contains("model.video.color") && "\($0)".contains("gray") }
    }

    @Test func aRotaryFineTuneNeedsAnEvenHeadWidth() throws {
        var config = lipWordTask()
        config.objective.raven.positions = .rotary
        try config.validate()
        config.model.video.transformer = TransformerConfig(dim: 30, depth: 1, heads: 2)  // head width 15
        #expect { try config.validate() } throws: { "\($0)".contains("model.video.heads") && "\($0)".contains("even head width") }
    }

    @Test func aWordHeadWithBatchNormNeedsTwoClipsABatch() throws {
        var config = lipWordTask()
        config.train.batchSize = 1
        #expect { try config.validate() } throws: { "\($0)".contains("train.batch_size") && "\($0)".contains("task.head_norm") }
        config.task!.headNorm = false
        try config.validate()
    }

    @Test func onlyRavenReadsFilterbankFrameTokens() throws {
        var config = tinyAudioVisualConfig("mavil")
        try config.validate()
        config.model.audio.tokens = .frames
        #expect { try config.validate() } throws: { "\($0)".contains("model.audio.tokens") && "\($0)".contains("mavil") }
        config = tinyAudioConfig()
        config.model.audio.tokens = .frames
        #expect { try config.validate() } throws: { "\($0)".contains("model.audio.tokens") && "\($0)".contains("mae-audio") }
    }

    @Test func objectivesThatCutTubeletsRefuseTheLipReadingFrontEnd() throws {
        var config = tinyAudioVisualConfig("mae-image")
        config.masking.ratio = 0.75
        try config.validate()
        config.model.video.frontEnd = .lipResNet
        #expect { try config.validate() } throws: { "\($0)".contains("model.video.front_end") && "\($0)".contains("mae-image") }
    }

    /// A batch shrunk to one clip (files skipped by `data.on_bad_file: skip`) stops the step with
    /// a typed error rather than NaN running statistics in the head; evaluation is unaffected.
    @Test func aOneClipTrainingBatchThroughTheWordHeadsBatchNormIsATypedError() throws {
        var config = tinyTaskConfig(manifest: try labelledCorpus("tower-rule-one-clip"))
        config.train.batchSize = 2
        let data = try FineTuningData(config: config)
        let task = try FineTuning.makeTask(for: config, data: data)
        config.train.batchSize = 1
        let batch = LabelledSource(config: config, labels: try data.labels(.train), batches: 1).batches[0]
        #expect(batch.labels?.count == 1)
        let training = StepContext(step: 0, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 1)))
        #expect { _ = try task(batch, context: training) } throws: { "\($0)".contains("train.batch_size") && "\($0)".contains("task.head_norm") }
        _ = try task(batch, context: StepContext(step: 0, forward: .evaluation))
    }
}
