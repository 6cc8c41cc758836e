// A synthetic speaker: voice (pitch, vocal-tract scale, speaking rate) and face (skin and lip
// colours, mouth size and position, lighting, sensor noise), all drawn from the counter-based
// generator keyed by (seed, speaker), so a speaker is the same in every clip and every run.
import DuetTensor
import Foundation

/// What each draw of the corpus is for: the last counter of every random stream.
enum SynthPurpose: UInt64 {
    case voice = 1, face, script, timing, pitch, sourceNoise, backgroundNoise, level, jitter, lighting, sensor
}

/// The random streams of one clip (or, with `clip == nil`, of a speaker's fixed traits).
struct SynthKey: Sendable, Hashable {
    let seed: UInt64
    let speaker: Int
    let clip: Int?

    func stream(_ purpose: SynthPurpose) -> RandomStream {
        RandomStream(seed: seed).derived(UInt64(speaker), clip.map { UInt64($0) } ?? UInt64.max, purpose.rawValue)
    }
}

extension RandomStream {
    /// A uniform value in `range` for draw `index`.
    func value(_ index: Int, in range: ClosedRange<Float>) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform(index)
    }
}

/// An RGB colour, components in [0, 1].
public struct RGB: Sendable, Equatable, Codable {
    public var r: Float, g: Float, b: Float
    public init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }

    static func mix(_ a: RGB, _ b: RGB, _ t: Float) -> RGB {
        RGB(a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t)
    }

    static func * (c: RGB, k: Float) -> RGB { RGB(c.r * k, c.g * k, c.b * k) }
}

/// One speaker's voice and face. Sizes are in pixels of the 96×96 frame.
public struct SyntheticSpeaker: Sendable, Equatable, Codable {
    public let index: Int
    /// The folder name of the speaker's clips (`s00`, `s01`, ...).
    public let id: String
    /// Mean fundamental frequency, 90–250 Hz.
    public let pitch: Float
    /// Multiplies every formant: a shorter vocal tract has a larger scale.
    public let formantScale: Float
    /// Phonemes per second relative to the inventory's durations.
    public let speakingRate: Float
    /// Noise mixed into the glottal source.
    public let breathiness: Float
    public let skin: RGB
    public let lip: RGB
    public let mouthX: Float
    public let mouthY: Float
    public let mouthHalfWidth: Float
    /// The inner lip gap at full opening.
    public let maxOpening: Float
    public let upperLip: Float
    public let lowerLip: Float
    /// The direction light comes from (radians) and how strongly it shades the face.
    public let lightAngle: Float
    public let lightStrength: Float
    /// Standard deviation of the sensor noise in 8-bit levels.
    public let sensorNoise: Float

    /// Speaker `index` of the corpus with this seed.
    public init(seed: UInt64, index: Int, idWidth: Int = 2) {
        let key = SynthKey(seed: seed, speaker: index, clip: nil)
        let voice = key.stream(.voice)
        self.index = index
        id = "s" + String(repeating: "0", count: max(0, idWidth - String(index).count)) + String(index)
        // Log-uniform pitch; a higher voice comes with a shorter tract, give or take.
        let lowness = voice.uniform(0)
        pitch = 90 * powf(250 / 90, lowness)
        formantScale = min(1.2, max(0.85, 0.88 + 0.27 * lowness + voice.value(1, in: -0.05...0.05)))
        speakingRate = voice.value(2, in: 0.8...1.25)
        breathiness = voice.value(3, in: 0.02...0.12)

        let face = key.stream(.face)
        let tone = face.uniform(0)
        let warm = face.value(1, in: -0.04...0.04)
        skin = RGB.mix(RGB(0.93, 0.77, 0.66), RGB(0.42, 0.27, 0.19), tone) * face.value(2, in: 0.95...1.05)
            + RGB(warm, 0, -warm)
        let redness = face.value(3, in: 0...1)
        lip = RGB(skin.r * (0.78 + 0.12 * redness), skin.g * (0.5 - 0.08 * redness), skin.b * (0.55 - 0.05 * redness))
        mouthX = face.value(4, in: 44...52)
        mouthY = face.value(5, in: 54...62)
        mouthHalfWidth = face.value(6, in: 17...23)
        maxOpening = face.value(7, in: 12...17)
        upperLip = face.value(8, in: 3...5)
        lowerLip = face.value(9, in: 4...6.5)
        lightAngle = face.value(10, in: 0...(2 * Float.pi))
        lightStrength = face.value(11, in: 0.05...0.3)
        sensorNoise = face.value(12, in: 1...4)
    }
}

extension RGB {
    static func + (a: RGB, b: RGB) -> RGB { RGB(a.r + b.r, a.g + b.g, a.b + b.b) }
}
