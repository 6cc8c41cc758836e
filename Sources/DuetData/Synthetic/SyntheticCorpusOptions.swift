// What a synthetic corpus is made of: speakers, clips, seed, the mix of single words and
// sentences, the speaker split, the noise and the encoders' settings. Written into corpus.json.
import DuetMedia

/// The parameters of `duet data synth`. Two corpora with equal options are equal byte for byte.
public struct SyntheticCorpusOptions: Sendable, Equatable, Codable {
    public var speakers = 24
    public var clipsPerSpeaker = 40
    public var seed: UInt64 = 0
    /// The share of each speaker's clips that are sentences; the rest hold one word each.
    public var sentenceFraction = 0.4
    public var sentenceWords: ClosedRange<Int> = 2...4
    /// The words to use (texts from `SyntheticWord.vocabulary`); empty uses all of them.
    public var words: [String] = []
    /// The shares of speakers held out for validation and test (each at least one speaker when
    /// there are enough speakers; test speakers are never seen in training).
    public var validFraction = 0.15
    public var testFraction = 0.15
    /// Background noise SNR in dB, drawn per clip.
    public var snr: ClosedRange<Float> = 5...25
    /// x264's CRF and preset, and the AAC bit rate.
    public var videoQuality = 20
    public var videoPreset = "veryfast"
    public var audioBitRate = 48_000

    public init() {}

    func validate() throws(SyntheticCorpusError) {
        func bad(_ name: String, _ reason: String) -> SyntheticCorpusError { .invalidOption(name: name, reason: reason) }
        guard (1...10_000).contains(speakers) else { throw bad("speakers", "must be in 1...10000 (got \(speakers))") }
        guard (1...100_000).contains(clipsPerSpeaker) else { throw bad("clips per speaker", "must be in 1...100000 (got \(clipsPerSpeaker))") }
        guard (0...1).contains(sentenceFraction) else { throw bad("sentence fraction", "must be in 0...1 (got \(sentenceFraction))") }
        guard sentenceWords.lowerBound >= 2, sentenceWords.upperBound <= 8 else {
            throw bad("sentence words", "must lie in 2...8 (got \(sentenceWords))")
        }
        guard validFraction >= 0, testFraction >= 0, validFraction + testFraction < 1 else {
            throw bad("split", "valid and test fractions must be ≥ 0 and leave speakers for training (got \(validFraction), \(testFraction))")
        }
        guard snr.lowerBound.isFinite, snr.upperBound.isFinite, snr.lowerBound >= -20 else {
            throw bad("snr", "must be finite dB values ≥ -20 (got \(snr))")
        }
        guard (0...51).contains(videoQuality) else { throw bad("video quality", "x264's CRF must be in 0...51 (got \(videoQuality))") }
        let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
        guard presets.contains(videoPreset) else { throw bad("video preset", "must be one of \(presets.joined(separator: ", ")) (got \(videoPreset))") }
        guard (8_000...320_000).contains(audioBitRate) else { throw bad("audio bit rate", "must be in 8000...320000 (got \(audioBitRate))") }
        let unknown = words.filter { SyntheticWord.named($0) == nil }
        guard unknown.isEmpty else {
            throw bad("words", "not in the vocabulary: \(unknown.joined(separator: ", ")) (known: \(SyntheticWord.vocabulary.map(\.text).joined(separator: " ")))")
        }
        guard Set(words).count == words.count else { throw bad("words", "a word is listed twice") }
    }
}

/// The three speaker-disjoint parts of a corpus.
public enum SyntheticSplit: String, Sendable, Codable, CaseIterable {
    case train, valid, test
}

/// Why a corpus could not be made.
public enum SyntheticCorpusError: Error, Equatable, CustomStringConvertible {
    case invalidOption(name: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case media(MediaError)

    public var description: String {
        switch self {
        case let .invalidOption(name, reason): return "invalid \(name): \(reason)"
        case let .cannotWrite(path, reason): return "cannot write \(path): \(reason)"
        case let .media(error): return error.description
        }
    }
}
