// The probe end to end on a small written corpus: features from a real loader, labels from the
// .lbl beside each manifest, the values a run logs; a missing label file is named.
import DuetData
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
