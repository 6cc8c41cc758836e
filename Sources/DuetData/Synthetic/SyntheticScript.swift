// What one clip says and when: its words, and the timeline of phoneme parts in samples, from which
// both the audio and the lip movements are rendered, so the two are synchronised by construction.
import DuetTensor

/// One stretch of a clip's timeline: a sound target held from `start` for `length` samples.
struct TimelineSegment: Sendable, Equatable {
    var start: Int
    var length: Int
    var sound: SoundTarget
    /// nil: the lips are on their way to the next segment's viseme.
    var viseme: Viseme?
}

/// A clip's plan: its words, its length and its timeline.
struct SyntheticScript: Sendable, Equatable {
    static let sampleRate = 16_000
    static let frameRate = 25
    static let samplesPerFrame = sampleRate / frameRate
    /// Clips last a multiple of 8 frames (0.32 s = 5 × 1024 samples), so the AAC encoder's
    /// 1024-sample frames end exactly where the audio does and the decoded count is the written one.
    static let frameQuantum = 8

    var words: [SyntheticWord]
    var frameCount: Int
    var segments: [TimelineSegment]
    /// The samples where speech starts and ends (the rest is silence before and after).
    var speechStart: Int
    var speechEnd: Int

    var sampleCount: Int { frameCount * SyntheticScript.samplesPerFrame }

    static let silence = SoundTarget(f1: 500, f2: 1_500, f3: 2_500)

    /// Lays `words` out for a speaker: single words centred in a 1.28 s clip (as LRW centres its
    /// words), sentences with short pauses between words and silence around them.
    init(words: [SyntheticWord], speaker: SyntheticSpeaker, key: SynthKey) {
        let timing = key.stream(.timing)
        let rate = speaker.speakingRate * timing.value(0, in: 0.95...1.05)
        let rateSamples = Float(SyntheticScript.sampleRate) / rate
        var draw = 1
        // Each phoneme part's length, jittered by position (not by phoneme), so that words of the
        // same visemes get the same timing whatever their sounds.
        var wordParts: [[(PhonemePart, Int)]] = []
        for word in words {
            var parts: [(PhonemePart, Int)] = []
            for symbol in word.phonemes {
                guard let phoneme = Phoneme.named(symbol) else { continue }
                let stretch = timing.value(draw, in: 0.9...1.1)
                draw += 1
                for part in phoneme.parts {
                    parts.append((part, max(16, Int((part.duration * stretch * rateSamples).rounded()))))
                }
            }
            wordParts.append(parts)
        }
        var pauses: [Int] = []
        for i in 0..<max(0, words.count - 1) {
            pauses.append(Int(timing.value(100 + i, in: 0.04...0.14) * Float(SyntheticScript.sampleRate)))
        }
        let speech = wordParts.reduce(0) { $0 + $1.reduce(0) { $0 + $1.1 } } + pauses.reduce(0, +)
        let quantum = SyntheticScript.frameQuantum * SyntheticScript.samplesPerFrame
        let minimumSilence = Int(0.12 * Float(SyntheticScript.sampleRate))
        var lead: Int
        var total: Int
        if words.count == 1 {
            total = 32 * SyntheticScript.samplesPerFrame
            while total < speech + 2 * minimumSilence { total += quantum }
            let shift = Int(timing.value(200, in: -0.08...0.08) * Float(SyntheticScript.sampleRate))
            lead = min(max(minimumSilence, (total - speech) / 2 + shift), total - speech - minimumSilence)
        } else {
            lead = Int(timing.value(200, in: 0.12...0.3) * Float(SyntheticScript.sampleRate))
            let trail = Int(timing.value(201, in: 0.12...0.3) * Float(SyntheticScript.sampleRate))
            total = (lead + speech + trail + quantum - 1) / quantum * quantum
        }

        var segments = [TimelineSegment(start: 0, length: lead, sound: SyntheticScript.silence, viseme: .rest)]
        var at = lead
        for (w, parts) in wordParts.enumerated() {
            for (part, length) in parts {
                segments.append(TimelineSegment(start: at, length: length, sound: part.sound, viseme: part.viseme))
                at += length
            }
            if w < pauses.count {
                segments.append(TimelineSegment(start: at, length: pauses[w], sound: SyntheticScript.silence, viseme: .rest))
                at += pauses[w]
            }
        }
        segments.append(TimelineSegment(start: at, length: total - at, sound: SyntheticScript.silence, viseme: .rest))
        self.words = words
        self.frameCount = total / SyntheticScript.samplesPerFrame
        self.segments = segments
        self.speechStart = lead
        self.speechEnd = at
    }
}
