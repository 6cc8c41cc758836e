// The synthetic talking-mouth corpus: speakers, what each clip says, clips rendered in memory,
// and the whole corpus written as MP4 files (H.264 + AAC) with its manifests, speakers spread over
// both cores. Every draw comes from the counter-based generator keyed by (seed, speaker, clip,
// purpose), so a clip depends on nothing but those numbers.
import DuetMedia
import DuetTensor
import Foundation

/// One clip rendered in memory: RGB frames [frames, 96, 96, 3] and mono 16 kHz audio.
public struct SyntheticClip: Sendable, Equatable {
    public let words: [String]
    public let phonemes: [String]
    public let frames: [UInt8]
    public let frameCount: Int
    public let audio: [Float]
    public static let size = MouthRenderer.size
    public static let frameRate = SyntheticScript.frameRate
    public static let sampleRate = SyntheticScript.sampleRate
}

/// One clip of a written corpus, as its manifests list it.
public struct SyntheticClipRecord: Sendable, Equatable {
    /// `s03/012`: speaker and clip number.
    public let id: String
    public let speaker: Int
    public let split: SyntheticSplit
    /// Relative to the corpus folder: `clips/s03/012.mp4`.
    public let path: String
    public let words: [String]
    public let phonemes: [String]
    /// The word's index in `vocab.txt` for a one-word clip, nil for a sentence.
    public let label: Int?
    public let frameCount: Int
    public let sampleCount: Int
}

/// What writing a corpus produced.
public struct SyntheticCorpusSummary: Sendable, Equatable {
    public let clips: [SyntheticClipRecord]
    public let bytes: Int
    public var frameCount: Int { clips.reduce(0) { $0 + $1.frameCount } }
    public var sampleCount: Int { clips.reduce(0) { $0 + $1.sampleCount } }
    public var seconds: Double { Double(sampleCount) / Double(SyntheticClip.sampleRate) }
}

/// A corpus defined by its options: its vocabulary, speakers, split and clips.
public struct SyntheticCorpus: Sendable {
    public let options: SyntheticCorpusOptions
    /// The words in use, in vocabulary order; a word's index here is its label.
    public let vocabulary: [SyntheticWord]
    public let speakers: [SyntheticSpeaker]

    public init(_ options: SyntheticCorpusOptions = SyntheticCorpusOptions()) throws(SyntheticCorpusError) {
        try options.validate()
        self.options = options
        vocabulary = options.words.isEmpty
            ? SyntheticWord.vocabulary : SyntheticWord.vocabulary.filter { options.words.contains($0.text) }
        let width = max(2, String(options.speakers - 1).count)
        speakers = (0..<options.speakers).map { SyntheticSpeaker(seed: options.seed, index: $0, idWidth: width) }
    }

    /// How many speakers each split holds: train first, then valid, then test.
    public var splitSizes: (train: Int, valid: Int, test: Int) {
        let n = options.speakers
        let test = n >= 2 && options.testFraction > 0 ? max(1, Int((Double(n) * options.testFraction).rounded())) : 0
        let valid = n >= 3 && options.validFraction > 0 ? max(1, Int((Double(n) * options.validFraction).rounded())) : 0
        let held = min(test + valid, n - 1)
        let keptTest = min(test, held)
        return (n - held, held - keptTest, keptTest)
    }

    public func split(ofSpeaker index: Int) -> SyntheticSplit {
        let sizes = splitSizes
        if index < sizes.train { return .train }
        return index < sizes.train + sizes.valid ? .valid : .test
    }

    /// Single-word clips come first in each speaker's numbering, then sentences.
    public var wordClipsPerSpeaker: Int {
        Int((Double(options.clipsPerSpeaker) * (1 - options.sentenceFraction)).rounded())
    }

    /// What clip `clip` of speaker `speaker` says. Single words cycle through the vocabulary in
    /// a per-speaker shuffled order, so the classes stay balanced.
    public func words(speaker: Int, clip: Int) -> [SyntheticWord] {
        let draws = SynthKey(seed: options.seed, speaker: speaker, clip: nil).stream(.script)
        let v = vocabulary.count
        if clip < wordClipsPerSpeaker {
            let order = draws.derived(UInt64(clip / v)).permutation(v)
            return [vocabulary[order[clip % v]]]
        }
        let own = SynthKey(seed: options.seed, speaker: speaker, clip: clip).stream(.script)
        let range = options.sentenceWords
        let count = range.lowerBound + own.integer(0, below: range.count)
        var chosen: [SyntheticWord] = []
        var draw = 1
        while chosen.count < count {
            let word = vocabulary[own.integer(draw, below: v)]
            draw += 1
            if v > 1, word == chosen.last { continue }
            chosen.append(word)
        }
        return chosen
    }

    /// Renders a clip in memory. `words` overrides what the clip says (its timing, face, jitter
    /// and noise stay those of the clip), which shows that p/b/m look alike: "pat", "bat" and
    /// "mat" in the same clip give the same frames.
    public func render(speaker: Int, clip: Int, words: [SyntheticWord]? = nil) -> SyntheticClip {
        let said = words ?? self.words(speaker: speaker, clip: clip)
        let key = SynthKey(seed: options.seed, speaker: speaker, clip: clip)
        let script = SyntheticScript(words: said, speaker: speakers[speaker], key: key)
        var renderer = MouthRenderer(speaker: speakers[speaker])
        let frames = renderer.render(script, key: key)
        let audio = SpeechSynthesizer.render(script, speaker: speakers[speaker], key: key, snr: options.snr)
        return SyntheticClip(words: said.map(\.text), phonemes: said.flatMap(\.phonemes), frames: frames,
                             frameCount: script.frameCount, audio: audio)
    }

    /// Writes every clip under `folder`/clips and the manifests beside them. `threads` workers
    /// (0: one per active core) take speakers in turn; each encoder is single-threaded.
    @discardableResult
    public func write(to folder: String, threads: Int = 0,
                      progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws(SyntheticCorpusError) -> SyntheticCorpusSummary {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        for speaker in speakers {
            let directory = root.appendingPathComponent("clips/\(speaker.id)", isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw .cannotWrite(path: directory.path, reason: error.localizedDescription)
            }
        }
        let perSpeaker = options.clipsPerSpeaker
        let total = speakers.count * perSpeaker
        let workers = min(speakers.count, threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
        let state = WorkerResults<SyntheticClipRecord, SyntheticCorpusError>(count: total)
        DispatchQueue.concurrentPerform(iterations: max(1, workers)) { _ in
            while let speaker = state.claim(below: speakers.count) {
                for clip in 0..<perSpeaker {
                    do throws(SyntheticCorpusError) {
                        let record = try writeClip(speaker: speaker, clip: clip, root: root)
                        let done = state.store(record, at: speaker * perSpeaker + clip)
                        progress?(done, total)
                    } catch {
                        state.fail(error)
                        return
                    }
                }
            }
        }
        if let failure = state.failure { throw failure }
        let clips = state.values.compactMap { $0 }
        try writeManifests(clips, root: root)
        let bytes = clips.reduce(0) { sum, clip in
            let attributes = try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(clip.path).path)
            return sum + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
        return SyntheticCorpusSummary(clips: clips, bytes: bytes)
    }

    private func writeClip(speaker: Int, clip: Int, root: URL) throws(SyntheticCorpusError) -> SyntheticClipRecord {
        let rendered = render(speaker: speaker, clip: clip)
        let id = speakers[speaker].id + "/" + String(format: "%03d", clip)
        let relative = "clips/\(id).mp4"
        let path = root.appendingPathComponent(relative).path
        let video = VideoStreamSettings(codec: .h264, width: SyntheticClip.size, height: SyntheticClip.size,
                                        frameRate: Double(SyntheticClip.frameRate), input: .rgb,
                                        quality: options.videoQuality, preset: options.videoPreset)
        let audio = AudioStreamSettings(codec: .aac, sampleRate: SyntheticClip.sampleRate, channels: 1, bitRate: options.audioBitRate)
        do {
            let writer = try MediaWriter(path: path, video: video, audio: audio)
            let frameBytes = SyntheticClip.size * SyntheticClip.size * 3
            let perFrame = SyntheticScript.samplesPerFrame
            try rendered.frames.withUnsafeBufferPointer { (frames) throws(MediaError) in
                for f in 0..<rendered.frameCount {
                    try writer.appendFrame(UnsafeBufferPointer(rebasing: frames[(f * frameBytes)..<((f + 1) * frameBytes)]))
                    try writer.appendAudio(Array(rendered.audio[(f * perFrame)..<((f + 1) * perFrame)]))
                }
            }
            try writer.finish()
        } catch {
            throw .media(error)
        }
        let label = rendered.words.count == 1 ? vocabulary.firstIndex { $0.text == rendered.words[0] } : nil
        return SyntheticClipRecord(id: id, speaker: speaker, split: split(ofSpeaker: speaker), path: relative,
                                   words: rendered.words, phonemes: rendered.phonemes, label: label,
                                   frameCount: rendered.frameCount, sampleCount: rendered.audio.count)
    }
}

/// What parallel workers hand back: one slot per item, filled by whichever worker made it, a
/// counter that gives out work, and the first failure (after which no more work is given).
final class WorkerResults<Value, Failure: Error>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = 0
    private(set) var values: [Value?]
    private(set) var failure: Failure?

    init(count: Int) { values = Array(repeating: nil, count: count) }

    /// The next unclaimed index below `count`, or nil when all are taken or one has failed.
    func claim(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil, next < count else { return nil }
        next += 1
        return next - 1
    }

    /// Stores a value and returns how many have been stored.
    @discardableResult
    func store(_ value: Value, at index: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        values[index] = value
        done += 1
        return done
    }

    func fail(_ error: Failure) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = error }
    }
}
