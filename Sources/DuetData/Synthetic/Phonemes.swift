// The synthetic corpus's phoneme inventory: 20 sounds, each an audio recipe (a few timed parts of
// source and filter targets) and a viseme. p/b/m, f/v and t/d/n share visemes and part timings, so
// their lips move identically while their sounds differ (voicing, aspiration, nasal murmur).

/// The shape of the mouth for a sound, each value in [0, 1].
public struct Viseme: Sendable, Equatable, Codable {
    /// Jaw and lip opening: 0 touching, 1 wide open.
    public var opening: Float
    /// Mouth width: 0 narrow, 1 spread (a smile).
    public var width: Float
    /// Lip rounding and protrusion.
    public var rounding: Float
    /// 1 when the lips are pressed together (overrides `opening`).
    public var lipsClosed: Float
    /// How much of the upper teeth shows when the mouth is open.
    public var teeth: Float

    public init(opening: Float, width: Float, rounding: Float = 0, lipsClosed: Float = 0, teeth: Float = 0) {
        self.opening = opening
        self.width = width
        self.rounding = rounding
        self.lipsClosed = lipsClosed
        self.teeth = teeth
    }

    /// The relaxed mouth of silence: lips lightly together.
    public static let rest = Viseme(opening: 0.04, width: 0.5, lipsClosed: 0.8)

    static let bilabial = Viseme(opening: 0, width: 0.5, rounding: 0.1, lipsClosed: 1)
    static let labiodental = Viseme(opening: 0.14, width: 0.55, teeth: 1)
    static let alveolar = Viseme(opening: 0.26, width: 0.6, teeth: 0.8)
    static let sibilant = Viseme(opening: 0.12, width: 0.85, teeth: 1)
    static let postalveolar = Viseme(opening: 0.2, width: 0.2, rounding: 0.75, teeth: 0.7)
    static let velar = Viseme(opening: 0.4, width: 0.5, teeth: 0.2)
    static let lateral = Viseme(opening: 0.34, width: 0.5, teeth: 0.45)
    static let labiovelar = Viseme(opening: 0.1, width: 0, rounding: 1)
}

/// The broad class of a sound, which decides how it is rendered.
public enum PhonemeKind: String, Sendable, Codable {
    case vowel, stop, nasal, fricative, approximant
}

/// What the sound source and filters aim at during one part of a phoneme. Frequencies are in Hz
/// for an average vocal tract (the speaker's formant scale multiplies them); amplitudes are linear.
struct SoundTarget: Sendable, Equatable {
    /// Formants (for consonants, the place's locus, so neighbouring vowels glide from it).
    var f1: Float, f2: Float, f3: Float
    /// The glottal pulse train through the formants.
    var voicing: Float = 0
    /// Noise through the formants (the [h] after a voiceless stop).
    var aspiration: Float = 0
    /// Band-passed noise (frication, bursts) at `noiseCentre` with `noiseBandwidth`.
    var frication: Float = 0
    var noiseCentre: Float = 4_000
    var noiseBandwidth: Float = 2_000
    /// Low murmur through the nasal resonances (250 Hz and `nasalF2`).
    var nasal: Float = 0
    var nasalF2: Float = 1_000
    /// Low-passed voicing heard through closed lips (a voiced stop's closure).
    var voiceBar: Float = 0

    func with(_ change: (inout SoundTarget) -> Void) -> SoundTarget {
        var copy = self
        change(&copy)
        return copy
    }
}

/// One timed part of a phoneme: a sound target and, unless it is a transition, a viseme.
struct PhonemePart: Sendable, Equatable {
    /// Seconds at speaking rate 1.
    var duration: Float
    var sound: SoundTarget
    /// nil: the lips are on their way to the next viseme.
    var viseme: Viseme?
}

/// One sound of the corpus: its symbol, class, viseme and audio recipe.
public struct Phoneme: Sendable, Equatable {
    public let symbol: String
    public let kind: PhonemeKind
    public let voiced: Bool
    /// The name of the viseme class; phonemes sharing it look identical.
    public let visemeClass: String
    public let viseme: Viseme
    let parts: [PhonemePart]

    /// Seconds at speaking rate 1.
    public var duration: Float { parts.reduce(0) { $0 + $1.duration } }

    /// The inventory, in a fixed order (its index is the phoneme's id in `phonemes.txt`).
    public static let inventory: [Phoneme] = vowels + consonants

    /// The phoneme for a symbol, nil when the inventory has none.
    public static func named(_ symbol: String) -> Phoneme? { bySymbol[symbol] }

    private static let bySymbol: [String: Phoneme] = Dictionary(uniqueKeysWithValues: inventory.map { ($0.symbol, $0) })
}

extension Phoneme {
    private static func vowel(_ symbol: String, _ f1: Float, _ f2: Float, _ f3: Float, _ viseme: Viseme, duration: Float = 0.16) -> Phoneme {
        let sound = SoundTarget(f1: f1, f2: f2, f3: f3, voicing: 1)
        return Phoneme(symbol: symbol, kind: .vowel, voiced: true, visemeClass: symbol, viseme: viseme,
                       parts: [PhonemePart(duration: duration, sound: sound, viseme: viseme)])
    }

    static let vowels: [Phoneme] = [
        vowel("aa", 730, 1_090, 2_440, Viseme(opening: 1, width: 0.5, teeth: 0.3)),
        vowel("ae", 660, 1_720, 2_410, Viseme(opening: 0.8, width: 0.8, teeth: 0.5)),
        vowel("eh", 530, 1_840, 2_480, Viseme(opening: 0.55, width: 0.65, teeth: 0.5), duration: 0.14),
        vowel("iy", 270, 2_290, 3_010, Viseme(opening: 0.22, width: 1, teeth: 0.9)),
        vowel("uw", 300, 870, 2_240, Viseme(opening: 0.18, width: 0.08, rounding: 1)),
        vowel("ow", 480, 900, 2_400, Viseme(opening: 0.5, width: 0.3, rounding: 0.75)),
    ]

    /// A stop, or a nasal at the same place: closure, release and transition, timed alike so
    /// that the three look the same. `manner` is "voiceless", "voiced" or "nasal".
    private static func closure(_ symbol: String, manner: String, viseme: Viseme, visemeClass: String,
                                locus: (Float, Float, Float), burstCentre: Float, nasalF2: Float) -> Phoneme {
        let base = SoundTarget(f1: locus.0, f2: locus.1, f3: locus.2, noiseCentre: burstCentre, noiseBandwidth: burstCentre * 0.6,
                               nasalF2: nasalF2)
        let hold, release, transition: SoundTarget
        switch manner {
        case "voiceless":
            hold = base
            release = base.with { $0.frication = 1.2 }
            transition = base.with { $0.aspiration = 0.7 }
        case "voiced":
            hold = base.with { $0.voiceBar = 0.5 }
            release = base.with { $0.frication = 0.45; $0.voicing = 0.35 }
            transition = base.with { $0.voicing = 0.9 }
        default:
            hold = base.with { $0.nasal = 0.75 }
            release = base.with { $0.nasal = 0.5; $0.voicing = 0.3 }
            transition = base.with { $0.voicing = 0.9; $0.nasal = 0.15 }
        }
        return Phoneme(symbol: symbol, kind: manner == "nasal" ? .nasal : .stop, voiced: manner != "voiceless",
                       visemeClass: visemeClass, viseme: viseme,
                       parts: [PhonemePart(duration: 0.075, sound: hold, viseme: viseme),
                               PhonemePart(duration: 0.012, sound: release, viseme: nil),
                               PhonemePart(duration: 0.05, sound: transition, viseme: nil)])
    }

    /// A fricative: a noise hold with its viseme, then a transition; voiced ones add voicing.
    private static func fricative(_ symbol: String, voiced: Bool, viseme: Viseme, visemeClass: String,
                                  locus: (Float, Float, Float), centre: Float, bandwidth: Float, level: Float) -> Phoneme {
        let base = SoundTarget(f1: locus.0, f2: locus.1, f3: locus.2, noiseCentre: centre, noiseBandwidth: bandwidth)
        let hold = base.with { $0.frication = voiced ? level * 0.6 : level; $0.voicing = voiced ? 0.5 : 0 }
        let transition = base.with { $0.frication = level * 0.2; $0.voicing = voiced ? 0.8 : 0.3 }
        return Phoneme(symbol: symbol, kind: .fricative, voiced: voiced, visemeClass: visemeClass, viseme: viseme,
                       parts: [PhonemePart(duration: 0.11, sound: hold, viseme: viseme),
                               PhonemePart(duration: 0.03, sound: transition, viseme: nil)])
    }

    private static func approximant(_ symbol: String, _ f1: Float, _ f2: Float, _ f3: Float, viseme: Viseme) -> Phoneme {
        let sound = SoundTarget(f1: f1, f2: f2, f3: f3, voicing: 0.75)
        return Phoneme(symbol: symbol, kind: .approximant, voiced: true, visemeClass: symbol, viseme: viseme,
                       parts: [PhonemePart(duration: 0.08, sound: sound, viseme: viseme),
                               PhonemePart(duration: 0.03, sound: sound.with { $0.voicing = 0.9 }, viseme: nil)])
    }

    static let consonants: [Phoneme] = {
        let labial: (Float, Float, Float) = (250, 800, 2_200)
        let alveolar: (Float, Float, Float) = (250, 1_750, 2_650)
        let velar: (Float, Float, Float) = (250, 2_000, 2_300)
        let labiodentalLocus: (Float, Float, Float) = (280, 1_100, 2_300)
        return [
            closure("p", manner: "voiceless", viseme: .bilabial, visemeClass: "p b m", locus: labial, burstCentre: 900, nasalF2: 1_000),
            closure("b", manner: "voiced", viseme: .bilabial, visemeClass: "p b m", locus: labial, burstCentre: 900, nasalF2: 1_000),
            closure("m", manner: "nasal", viseme: .bilabial, visemeClass: "p b m", locus: labial, burstCentre: 900, nasalF2: 1_000),
            closure("t", manner: "voiceless", viseme: .alveolar, visemeClass: "t d n", locus: alveolar, burstCentre: 4_200, nasalF2: 1_800),
            closure("d", manner: "voiced", viseme: .alveolar, visemeClass: "t d n", locus: alveolar, burstCentre: 4_200, nasalF2: 1_800),
            closure("n", manner: "nasal", viseme: .alveolar, visemeClass: "t d n", locus: alveolar, burstCentre: 4_200, nasalF2: 1_800),
            closure("k", manner: "voiceless", viseme: .velar, visemeClass: "k g", locus: velar, burstCentre: 2_000, nasalF2: 2_000),
            closure("g", manner: "voiced", viseme: .velar, visemeClass: "k g", locus: velar, burstCentre: 2_000, nasalF2: 2_000),
            fricative("f", voiced: false, viseme: .labiodental, visemeClass: "f v", locus: labiodentalLocus,
                      centre: 5_000, bandwidth: 4_000, level: 0.35),
            fricative("v", voiced: true, viseme: .labiodental, visemeClass: "f v", locus: labiodentalLocus,
                      centre: 5_000, bandwidth: 4_000, level: 0.35),
            fricative("s", voiced: false, viseme: .sibilant, visemeClass: "s", locus: alveolar,
                      centre: 6_000, bandwidth: 1_800, level: 0.8),
            fricative("sh", voiced: false, viseme: .postalveolar, visemeClass: "sh", locus: (280, 1_900, 2_400),
                      centre: 3_000, bandwidth: 1_400, level: 0.8),
            approximant("l", 360, 1_050, 2_700, viseme: .lateral),
            approximant("w", 300, 650, 2_200, viseme: .labiovelar),
        ]
    }()
}
