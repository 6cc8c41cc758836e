// Shared by the trainer tests: tiny configs (dim 16-32, depth 1), fresh run folders, a source
// that poisons chosen batches with NaN, and metrics lines without their timing.
import DuetObjectives
import DuetTensor
import Foundation
@testable import DuetTrain

/// mae-audio over 32 frames × 32 mels in 8 × 8 patches (16 tokens, 4 visible), a 32-wide encoder
/// block and a 16-wide decoder block: a step takes milliseconds even in debug.
func tinyAudioConfig(steps: Int = 12) -> RunConfig {
    var config = RunConfig()
    config.name = "tiny"
    config.seed = 3
    config.model.audio.transformer = TransformerConfig(dim: 32, depth: 1, heads: 2)
    (config.model.audio.patch, config.model.audio.frames, config.model.audio.mels, config.data.mels) = (8, 32, 32, 32)
    config.model.decoder = TransformerConfig(dim: 16, depth: 1, heads: 2)
    config.masking.ratio = 0.75
    config.optim.lr = 3e-3
    config.schedule.warmupSteps = 2
    (config.train.steps, config.train.batchSize, config.train.logEvery) = (steps, 4, 1)
    (config.train.evalEvery, config.train.checkpointEvery, config.train.keepCheckpoints) = (4, 4, 5)
    return config
}

/// A new, empty folder under the system's temporary folder.
func freshFolder(_ label: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("duet-\(label)-\(UUID().uuidString)", isDirectory: true)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A trainer on the synthetic source for `config`, with its own objective built from the seed.
func makeTrainer(_ config: RunConfig, run: URL? = nil, resumingFrom checkpoint: Checkpoint? = nil,
                 source: (any BatchSource)? = nil) throws -> Trainer {
    try Trainer(config: config, objective: ObjectiveFactory.makeObjective(for: config),
                source: source ?? SyntheticBatchSource(config: config, split: .train, clips: 64),
                heldOut: SyntheticBatchSource(config: config, split: .heldOut, clips: 8),
                run: run.map { RunFolder(url: $0) }, resumingFrom: checkpoint)
}

/// A run folder holding `config` trained to its end.
func trainedRun(_ config: RunConfig, _ label: String) throws -> RunFolder {
    let run = RunFolder(url: freshFolder(label))
    try makeTrainer(config, run: run.url).train()
    return run
}

/// The records of a metrics.jsonl, each without `samples_per_s` (the one value that depends on
/// the clock), in order.
func metricsRecords(_ file: URL) throws -> [[String: Double]] {
    try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        var record: [String: Double] = [:]
        for (key, value) in object where key != "samples_per_s" { record[key] = (value as? NSNumber)?.doubleValue ?? .nan }
        return record
    }
}

/// The synthetic source, with the audio of the batches at `poisoned` (indices counted from the
/// first draw) filled with NaN.
final class PoisonedSource: BatchSource {
    let inner: SyntheticBatchSource
    let poisoned: Set<Int>
    private(set) var drawn = 0

    init(config: RunConfig, poisoned: Set<Int>) {
        inner = SyntheticBatchSource(config: config, split: .train, clips: 64)
        self.poisoned = poisoned
    }

    var batchesPerEpoch: Int { inner.batchesPerEpoch }
    var position: BatchPosition { inner.position }
    func seek(to position: BatchPosition) throws { try inner.seek(to: position) }

    func next() throws -> ObjectiveBatch {
        let batch = try inner.next()
        defer { drawn += 1 }
        if poisoned.contains(drawn) { batch.audio!.fill(.nan) }
        return batch
    }
}
