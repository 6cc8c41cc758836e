// Shared by the fine-tuning and export tests: a tiny labelled "corpus" of manifests and labels
// (never decoded: batches come from an in-memory source), tiny task configs, and that source.
import DuetData
import DuetObjectives
import DuetTensor
import Foundation
@testable import DuetTrain

/// A folder with train/valid/test manifests of `clips` entries each, `.lbl` class labels
/// (cycling over `vocabulary`), `.wrd` transcripts and vocab.txt; returns the train manifest.
func labelledCorpus(_ label: String, clips: Int = 12, vocabulary: [String] = ["pat", "bat", "mat", "no"]) throws -> String {
    let folder = freshFolder(label)
    for split in ["train", "valid", "test"] {
        let entries = (0..<clips).map { ManifestEntry(id: "\(split)/\($0)", videoPath: "c\($0).mp4", audioPath: "c\($0).mp4",
                                                       videoFrames: 8, audioSamples: 5120) }
        try Manifest(root: folder.path, kind: .audioVisual, entries: entries).write(to: folder.appendingPathComponent("\(split).tsv").path)
        try (0..<clips).map { "\($0 % vocabulary.count)\n" }.joined()
            .write(to: folder.appendingPathComponent("\(split).lbl"), atomically: true, encoding: .utf8)
        try (0..<clips).map { "\(vocabulary[$0 % vocabulary.count]) \(vocabulary[($0 + 1) % vocabulary.count])\n" }.joined()
            .write(to: folder.appendingPathComponent("\(split).wrd"), atomically: true, encoding: .utf8)
    }
    try vocabulary.map { $0 + "\n" }.joined().write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
    return folder.appendingPathComponent("train.tsv").path
}

/// A word (or CTC) task over the tiny audio tower of `tinyAudioConfig` (32 frames × 32 mels,
/// 8 × 8 patches, 32 wide, 1 block), or a video tower of 8 gray 16² frames in 2×8×8 tubelets.
func tinyTaskConfig(_ kind: TaskKind = .word, modality: TaskModality = .audio, manifest: String, steps: Int = 6) -> RunConfig {
    var config = tinyAudioConfig(steps: steps)
    config.name = "tiny-task"
    config.model.video.transformer = TransformerConfig(dim: 32, depth: 1, heads: 2)
    (config.model.video.tubelet, config.model.video.patch, config.model.video.frames) = (2, 8, 8)
    (config.model.video.size, config.model.video.color) = (16, .gray)
    config.data.manifest = manifest
    config.data.validManifest = manifest.replacingLastComponent(with: "valid.tsv")
    config.data.testManifest = manifest.replacingLastComponent(with: "test.tsv")
    var task = TaskConfig()
    (task.kind, task.modality) = (kind, modality)
    config.task = task
    config.train.evalEvery = 0
    config.train.checkpointEvery = 0
    return config
}

/// Fixed random batches with labels from the task's label files (cycled), in order.
final class LabelledSource: BatchSource {
    let batches: [ObjectiveBatch]
    private(set) var position = BatchPosition()

    init(config: RunConfig, labels: LabelSet, batches count: Int = 2, videoLengths: [Int]? = nil) {
        let b = config.train.batchSize, task = config.task!
        batches = (0..<count).map { i in
            let stream = RandomStream(seed: 41).derived(UInt64(i))
            let audio = task.modality.hasAudio
                ? Tensor.randomNormal([b, 1, config.model.audio.frames, config.model.audio.mels], stream: stream.derived(1)) : nil
            let v = config.model.video
            let video = task.modality.hasVideo
                ? Tensor.randomNormal([b, 1, v.frames, v.size, v.size], stream: stream.derived(2)) : nil
            let rows = (0..<b).map { labels.encoded[(i * b + $0) % labels.encoded.count] }
            return ObjectiveBatch(audio: audio, video: video, videoLengths: video == nil ? nil : videoLengths,
                                  ids: (0..<b).map { "clip\(i * b + $0)" }, labels: rows)
        }
    }

    var batchesPerEpoch: Int { batches.count }
    func seek(to position: BatchPosition) throws { self.position = position }
    func next() throws -> ObjectiveBatch {
        defer { position = advanced(position) }
        return batches[position.batchIndex]
    }
}
