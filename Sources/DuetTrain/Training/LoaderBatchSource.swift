// DuetData's loader as the trainer's batch source: a manifest decoded by background threads in
// the (seed, epoch, rank) order, resumable at a saved position, with bad files skipped and
// reported.
import DuetData
import DuetMedia
import DuetObjectives
import Foundation

public final class LoaderBatchSource: BatchSource {
    public let loader: Loader
    private let log: ((String) -> Void)?

    /// A source over `manifest` shaped as `config` asks: the objective's modalities, the window,
    /// the filterbank padded or cut to the audio tower's frames, frames at the video tower's size.
    /// `training` draws random windows, crops and flips; evaluation takes centres, in order.
    /// `labels` (one line per manifest entry) fill each batch's `labels`; `modalities` overrides
    /// the objective's; `wholeEpoch` keeps the last, smaller batch (evaluation over every sample);
    /// `entries` keeps only those manifest lines (a fine-tuning run's label fraction).
    public init(manifest: String, config: RunConfig, training: Bool, labels: LabelSet? = nil,
                modalities: (audio: Bool, video: Bool)? = nil, wholeEpoch: Bool = false, entries: [Int]? = nil,
                rank: Int = 0, worldSize: Int = 1, log: ((String) -> Void)? = nil) throws(TrainError) {
        let dataset = Self.datasetOptions(for: config, training: training, modalities: modalities)
        var options = LoaderOptions()
        options.batchSize = config.train.batchSize
        options.seed = UInt64(config.seed)
        options.shuffle = training
        options.rank = rank
        options.worldSize = worldSize
        options.workers = config.data.numWorkers
        // Whole batches only in training: the trainer's step shapes and the resume position stay fixed.
        options.dropLast = !wholeEpoch
        options.onBadFile = config.data.onBadFile == .fail ? .fail : .skip
        options.maxBadFraction = config.data.maxBadFraction
        do {
            var parsed = try Manifest.load(contentsOf: manifest)
            var labels = labels
            if let entries {
                parsed.entries = entries.map { parsed.entries[$0] }
                if let all = labels {
                    let file = LabelFile(file: all.labels.file, kind: all.labels.kind, lines: entries.map { all.labels.lines[$0] })
                    labels = try LabelSet(file, vocabulary: all.vocabulary)
                }
            }
            loader = try Loader(dataset: try AudioVisualDataset(manifest: parsed, options: dataset, labels: labels), options: options)
        } catch {
            throw .data(error.description)
        }
        self.log = log
        // Only epochs that lost samples get a line: a clean epoch is already `skipped 0` in the
        // progress line, and a fine-tune on a few dozen clips ends an epoch every other step.
        loader.onEpochEnd = { [log] report in if !report.failures.isEmpty { log?(report.summary) } }
    }

    public var batchesPerEpoch: Int { loader.batchesPerEpoch }

    public var position: BatchPosition { loader.position }

    public func seek(to position: BatchPosition) throws {
        try loader.seek(to: position)
    }

    public func next() throws -> ObjectiveBatch {
        guard let batch = try loader.next() else {
            throw TrainError.data("\(loader.dataset.manifest.file ?? "the manifest") ran out of batches")
        }
        for failure in batch.failures { log?("skipped \(failure.id): \(failure.error)") }
        return ObjectiveBatch(audio: batch.audio, video: batch.video, audioLengths: batch.audioLengths,
                              videoLengths: batch.videoLengths, ids: batch.ids, labels: batch.labels)
    }

    /// The samples `config` asks for: its modalities, window, filterbank and frame format, and
    /// in training its augmentations (export writes these constants into config.json).
    public static func datasetOptions(for config: RunConfig, training: Bool,
                                      modalities: (audio: Bool, video: Bool)? = nil) -> DatasetOptions {
        let modalities = modalities ?? ObjectiveFactory.modalities(of: config)
        var dataset = DatasetOptions()
        dataset.modalities = modalities.audio && modalities.video ? .audioVisual : (modalities.audio ? .audio : .video)
        dataset.mode = training ? .training : .evaluation
        dataset.clipSeconds = config.data.clipSeconds
        dataset.sampleRate = config.data.sampleRate
        dataset.fps = config.data.fps
        dataset.mels = config.data.mels
        dataset.audioFrames = config.model.audio.frames
        let size = config.model.video.size, decoded = config.data.decodeSize ?? size
        let crop = decoded == size ? nil : size
        dataset.video = config.model.video.color == .gray ? .gray(size: decoded, crop: crop) : .rgb(size: decoded, crop: crop)
        dataset.video.centredOverTime = config.data.videoNorm == .clipMean
        dataset.augmentation = training ? augmentation(config.data.augment) : .none
        return dataset
    }

    /// The config's augmentations as the dataset applies them.
    static func augmentation(_ config: AugmentConfig) -> Augmentation {
        var a = Augmentation()
        a.flipProbability = Float(config.flip)
        a.videoTimeMasks = config.timeMasks
        a.videoMaskFrames = config.timeMaskFrames
        a.specTimeMasks = config.specTimeMasks
        a.specTimeWidth = config.specTimeWidth
        a.specFrequencyMasks = config.specFreqMasks
        a.specFrequencyWidth = config.specFreqWidth
        a.videoContrast = Float(config.contrast)
        a.videoBrightness = Float(config.brightness)
        return a
    }
}

/// The built-in synthetic corpus, made once per seed in a cache folder and reused.
public enum SyntheticCorpusCache {
    /// `$DUET_CACHE`, else `$XDG_CACHE_HOME/duet`, else `~/.cache/duet`.
    public static var folder: URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["DUET_CACHE"], !dir.isEmpty { return URL(fileURLWithPath: dir, isDirectory: true) }
        if let dir = env["XDG_CACHE_HOME"], !dir.isEmpty { return URL(fileURLWithPath: dir).appendingPathComponent("duet") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/duet")
    }

    /// The labelled corpus of `seed`, written on first use; returns its folder. With
    /// `wordClipsPerSpeaker` 0 the default corpus (24 speakers × 40 clips, 60 % words); with N > 0
    /// the same 24 speakers × N one-word clips. A corpus is complete once its corpus.json exists
    /// (written last).
    public static func corpus(seed: UInt64, wordClipsPerSpeaker: Int = 0, in cache: URL = folder,
                              log: (String) -> Void) throws(TrainError) -> URL {
        var options = SyntheticCorpusOptions()
        options.seed = seed
        guard wordClipsPerSpeaker > 0 else {
            return try corpus(options, name: "synthetic-v1-seed\(seed)", in: cache, what: "the synthetic corpus", log: log)
        }
        (options.clipsPerSpeaker, options.sentenceFraction) = (wordClipsPerSpeaker, 0)
        return try corpus(options, name: "synthetic-v1-words\(wordClipsPerSpeaker)-seed\(seed)", in: cache,
                          what: "the word corpus (\(options.speakers) speakers × \(wordClipsPerSpeaker) one-word clips)", log: log)
    }

    /// The labelled corpus `config` names (`data.word_clips_per_speaker`).
    public static func corpus(_ config: RunConfig, log: (String) -> Void) throws(TrainError) -> URL {
        try corpus(seed: UInt64(config.seed), wordClipsPerSpeaker: config.data.wordClipsPerSpeaker, log: log)
    }

    /// Seeds the unlabelled corpus of a run of seed S with S + 7: another seed draws other
    /// individuals, so none of its speakers is one of the labelled corpus's valid or test speakers.
    static let unlabelledSeedOffset: UInt64 = 7

    /// The unlabelled pretraining corpus of a run of `seed`: `speakers` speakers (70 % of them
    /// for training) × 16 sentence clips of 2–4 words, written on first use; returns its folder.
    public static func unlabelled(speakers: Int, seed: UInt64, in cache: URL = folder, log: (String) -> Void) throws(TrainError) -> URL {
        var options = SyntheticCorpusOptions()
        (options.speakers, options.clipsPerSpeaker, options.sentenceFraction) = (speakers, 16, 1)
        options.seed = seed &+ unlabelledSeedOffset
        return try corpus(options, name: "synthetic-v1-unlabelled\(speakers)-seed\(options.seed)", in: cache,
                          what: "the unlabelled corpus (\(speakers) speakers × 16 sentences, about a minute on 2 cores)", log: log)
    }

    /// The corpus of `options` in the folder `name` of `cache`, written on first use.
    static func corpus(_ options: SyntheticCorpusOptions, name: String, in cache: URL, what: String,
                       log: (String) -> Void) throws(TrainError) -> URL {
        let root = cache.appendingPathComponent(name, isDirectory: true)
        if FileManager.default.fileExists(atPath: root.appendingPathComponent("corpus.json").path) { return root }
        log("making \(what) (once) in \(root.path)")
        // Written beside, then renamed: an interrupted generation never looks complete.
        let partial = cache.appendingPathComponent("\(name).partial-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try? FileManager.default.removeItem(at: partial)
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            try SyntheticCorpus(options).write(to: partial.path)
            // Manifests name their root folder on their first line: point them at the final place.
            for name in try FileManager.default.contentsOfDirectory(atPath: partial.path) where name.hasSuffix(".tsv") {
                let file = partial.appendingPathComponent(name)
                var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
                lines[0] = root.path
                try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            }
            try? FileManager.default.removeItem(at: root)
            try FileManager.default.moveItem(at: partial, to: root)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw .data("could not make \(what) in \(root.path): \(error)")
        }
        return root
    }
}
