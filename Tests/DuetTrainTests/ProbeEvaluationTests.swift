// The probe end to end on a small written corpus: features from a real loader, labels from the
// .lbl beside each manifest, the values a run logs; a missing label file is named.
import DuetData
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

@Suite struct ProbeEvaluationTests {
    /// A 3-speaker corpus of single words, and a mae-video config probing its train split.
    func corpusAndConfig() throws -> (folder: String, config: RunConfig) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("duet-probe-\(UUID().uuidString)").path
        var options = SyntheticCorpusOptions()
        (options.speakers, options.clipsPerSpeaker, options.sentenceFraction) = (3, 4, 0)
        try SyntheticCorpus(options).write(to: folder)
        var config = tinyAudioConfig()
        config.objective.name = "mae-video"
        config.masking.kind = .tube
        config.model.video.transformer = TransformerConfig(dim: 32, depth: 1, heads: 2)
        (config.model.video.frames, config.model.video.size, config.model.video.patch, config.model.video.color) = (4, 32, 16, .gray)
        config.data.clipSeconds = 0.16
        config.data.numWorkers = 1
        config.probe.trainManifest = folder + "/words-train.tsv"
        config.probe.testManifest = folder + "/words-train.tsv"
        config.probe.steps = 20
        return (folder, config)
    }

    @Test func probeReadsEveryClipAndScoresIt() throws {
        let (folder, config) = try corpusAndConfig()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let probe = try ProbeEvaluation(config: config)
        let values = try probe.run(ObjectiveFactory.makeObjective(for: config))
        let labels = try String(contentsOfFile: folder + "/words-train.lbl", encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(values["probe/classes"] == Double(labels.max()! + 1))
        let accuracy = try #require(values["probe/video_acc"])
        // Scored on the split it was trained on: every clip counted, so a multiple of 1/N.
        #expect((accuracy * Double(labels.count)).rounded() == accuracy * Double(labels.count))
        #expect(accuracy > 0 && accuracy <= 1)
        #expect(values["retrieval/a2v_r1"] == nil, "one modality: no retrieval")
        // The default solver logs the L2 weight its folds chose, one of the candidates.
        #expect(values["probe/video_l2"].map { config.probe.l2.contains($0) } == true && values["probe/video_fold_acc"] != nil)
    }

    @Test func badProbeSettingsNameTheirKey() {
        var config = RunConfig()
        config.probe.folds = 1
        #expect { try config.validate() } throws: { "\($0)".contains("probe.folds") }
        config = RunConfig()
        config.probe.l2 = [0.1, -1]
        #expect { try config.validate() } throws: { "\($0)".contains("probe.l2") }
    }

    @Test func retrievalReadsTheObjectivesHookWithAudioAndVideoRowsOfTheSameClip() throws {
        var (folder, config) = try corpusAndConfig()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        config.train.batchSize = 3
        let values = try ProbeEvaluation(config: config).run(ClipCodeObjective())
        // Every query finds its own clip only if the hook's rows are used and row i of the audio
        // and of the video is the same clip (the tokens are noise, unlike in the two modalities).
        #expect(values["retrieval/a2v_r1"] == 1 && values["retrieval/v2a_r1"] == 1)
        let clips = try String(contentsOfFile: folder + "/words-train.lbl", encoding: .utf8).split(separator: "\n").count
        #expect(clips > 3 && clips % 3 != 0 && values["retrieval/chance_r1"] == 1 / Double(clips), "every clip, the last batch short")
    }

    @Test func retrievalRowsOfDifferentWidthsAreSkippedWithANote() throws {
        var (folder, config) = try corpusAndConfig()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        config.train.batchSize = 3
        var lines: [String] = []
        let values = try ProbeEvaluation(config: config) { lines.append($0) }.run(ClipCodeObjective(videoWidth: 24))
        #expect(values["retrieval/a2v_r1"] == nil && values["retrieval/chance_r1"] == nil && values["probe/video_acc"] != nil)
        #expect(lines.contains { $0.contains("retrieval skipped") && $0.contains("32 and 24") })
    }

    @Test func missingLabelsAreNamed() throws {
        let (folder, config) = try corpusAndConfig()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.removeItem(atPath: folder + "/words-train.lbl")
        #expect {
            _ = try ProbeEvaluation(config: config)
        } throws: { "\($0)".contains("words-train.lbl") }
    }
}

/// An objective whose tokens are noise (different for audio and video) and whose retrieval rows
/// are a code of the clip's id, the same for both modalities.
private struct ClipCodeObjective: PretrainingObjective {
    let store = ParameterStore(seed: 0)
    /// The video rows' width (the audio's is 32); another width makes rows no cosine can compare.
    var videoWidth = 32
    var name: String { "clip-code" }
    var encodedModalities: [Modality] { [.audio, .video] }

    func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        throw .cannotEncode(objective: name, modality: "training")
    }

    func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        Tensor.randomNormal([batch.batchSize, 3, 8], stream: RandomStream(seed: modality == .audio ? 1 : 2).derived(UInt64(batch.ids.count)))
    }

    func retrievalFeatures(_ batch: ObjectiveBatch, tokens: Tensor, modality: Modality,
                           context: ForwardContext) throws(ObjectiveError) -> Tensor {
        let width = modality == .video ? videoWidth : 32
        let codes = batch.ids.map { id -> [Float] in
            let hash = id.unicodeScalars.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1.value)) &* 1_099_511_628_211 }
            return Array(Tensor.randomNormal([32], stream: RandomStream(seed: hash)).scalars.prefix(width))
        }
        return Tensor(shape: [batch.batchSize, width], scalars: codes.flatMap { $0 })
    }
}
