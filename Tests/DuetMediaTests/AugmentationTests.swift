// Augmentations: crops and flips move the right pixels, masks cover what torchaudio's would,
// and every draw depends only on the generator's key.
import DuetMedia
import Testing

@Suite struct AugmentationTests {
    /// A clip whose value at (t, c, y, x) is t·1000 + c·100 + y·10 + x.
    static func clip(frames: Int = 3, channels: Int = 2, height: Int = 6, width: Int = 8) -> VideoClip {
        var values: [Float] = []
        for t in 0..<frames { for c in 0..<channels { for y in 0..<height { for x in 0..<width {
            values.append(Float(t * 1000 + c * 100 + y * 10 + x))
        } } } }
        return VideoClip(values: values, frameCount: frames, channels: channels, height: height, width: width,
                         timestamps: (0..<frames).map { Double($0) / 25 }, frameRate: 25)
    }

    @Test func centreCropTakesTheMiddle() throws {
        let crop = try Self.clip().centerCropped(width: 4, height: 2)
        #expect(crop.shape == [3, 2, 2, 4])
        #expect(Array(crop.values[0..<4]) == [22, 23, 24, 25])
        #expect(Array(crop.values[4..<8]) == [32, 33, 34, 35])
        #expect(crop.values[8] == 122)
    }

    @Test func randomCropIsReproducibleAndInside() throws {
        let clip = Self.clip()
        let a = try clip.randomlyCropped(width: 5, height: 3, random: MediaRandom(seed: 1, 7))
        let b = try clip.randomlyCropped(width: 5, height: 3, random: MediaRandom(seed: 1, 7))
        #expect(a == b && a.shape == [3, 2, 3, 5])
        var positions = Set<Float>()
        for sample in 0..<50 { positions.insert(try clip.randomlyCropped(width: 5, height: 3, random: MediaRandom(seed: 1, UInt64(sample))).values[0]) }
        #expect(positions.count > 5)
        #expect(throws: MediaError.self) { try clip.cropped(to: CropRegion(x: 5, y: 0, width: 4, height: 2)) }
    }

    @Test func photometricJitterIsOneAffineMapPerClipAroundItsMean() {
        let clip = Self.clip()
        #expect(clip.photometricallyJittered(contrast: 0, brightness: 0, random: MediaRandom(seed: 3, 1)) == clip)
        let mean = clip.values.map(Double.init).reduce(0, +) / Double(clip.values.count)
        var factors = Set<Float>()
        for sample in 0..<40 {
            let random = MediaRandom(seed: 3, UInt64(sample))
            let out = clip.photometricallyJittered(contrast: 0.3, brightness: 0.6, random: random)
            #expect(out == clip.photometricallyJittered(contrast: 0.3, brightness: 0.6, random: random))
            #expect(out.shape == clip.shape)
            // Every value goes through the same c·v + s: the ratio of differences is c everywhere.
            let c = (out.values[5] - out.values[0]) / (clip.values[5] - clip.values[0])
            #expect(c >= 0.7 && c <= 1.3)
            for i in stride(from: 1, to: clip.values.count, by: 7) {
                let expected = Double(out.values[0]) + Double(c) * Double(clip.values[i] - clip.values[0])
                #expect(abs(Double(out.values[i]) - expected) < 1e-2 * max(1, abs(expected)))
            }
            // The clip's mean moves by the brightness offset alone, within ± 0.6.
            let shifted = out.values.map(Double.init).reduce(0, +) / Double(out.values.count)
            #expect(abs(shifted - mean) <= 0.6 + 1e-3 * mean)
            factors.insert((c * 100).rounded())
        }
        #expect(factors.count > 10)
    }

    @Test func centringOverTimeRemovesEachPixelsClipMean() {
        // Value (t, c, y, x) = t·1000 + c·100 + y·10 + x, plus a frame-dependent wobble on pixel 5
        // so that the residuals differ between pixels.
        var clip = Self.clip(frames: 4)
        let size = clip.frameSize
        let wobble: [Float] = [3, -1, 4, -6]
        for t in 0..<4 { clip.values[t * size + 5] += wobble[t] }
        let out = clip.centredOverTime()
        #expect(out.shape == clip.shape)
        // Over frames 0…3 the mean of t·1000 is 1500; the static part c·100 + y·10 + x cancels.
        for t in 0..<4 {
            for i in stride(from: 0, to: size, by: 5) where i != 5 {
                #expect(out.values[t * size + i] == Float(t * 1000) - 1500)
            }
            #expect(out.values[t * size + 5] == Float(t * 1000) - 1500 + wobble[t])  // the wobble's mean is 0
        }
        // Two speakers whose faces differ by a fixed image give the same centred clip.
        var other = clip
        for i in other.values.indices { other.values[i] += Float(i % size) * 0.5 }
        #expect(other.centredOverTime() == out)
        let empty = VideoClip(values: [], frameCount: 0, channels: 1, height: 2, width: 2, timestamps: [], frameRate: 25)
        #expect(empty.centredOverTime() == empty)
    }

    @Test func flipMirrorsEveryRow() {
        let flipped = Self.clip().horizontallyFlipped()
        #expect(Array(flipped.values[0..<8]) == [7, 6, 5, 4, 3, 2, 1, 0])
        #expect(flipped.horizontallyFlipped() == Self.clip())
        let draws = (0..<200).map { Self.clip().randomlyFlipped(random: MediaRandom(seed: 2, UInt64($0))).values[0] == 7 }
        let share = Double(draws.filter { $0 }.count) / 200
        #expect(share > 0.35 && share < 0.65)
    }

    @Test func specAugmentMasksStayWithinTheirWidths() {
        let bank = Filterbank(values: [Float](repeating: 1, count: 100 * 16), frameCount: 100, binCount: 16)
        for seed in 0..<20 {
            let random = MediaRandom(seed: UInt64(seed))
            let time = bank.timeMasked(maxWidth: 10, random: random)
            let maskedRows = (0..<100).filter { f in time.values[f * 16] == 0 }
            #expect(maskedRows.count <= 10)
            if let first = maskedRows.first { #expect(maskedRows == Array(first..<first + maskedRows.count)) }
            let frequency = bank.frequencyMasked(maxWidth: 4, count: 2, fill: -1, random: random)
            let maskedBins = (0..<16).filter { frequency.values[$0] == -1 }
            #expect(maskedBins.count <= 8)
            #expect((0..<100).allSatisfy { f in (0..<16).allSatisfy { frequency.values[f * 16 + $0] == frequency.values[$0] } })
        }
        #expect(bank.timeMasked(maxWidth: 30, random: MediaRandom(seed: 5)) == bank.timeMasked(maxWidth: 30, random: MediaRandom(seed: 5)))
    }

    @Test func videoTimeMaskBlanksWholeFrames() {
        let clip = Self.clip(frames: 20, channels: 1, height: 2, width: 2)
        let masked = clip.timeMasked(maxFrames: 5, count: 2, fill: -9, random: MediaRandom(seed: 4, 1))
        let blank = (0..<20).filter { t in masked.values[(t * 4)..<(t * 4 + 4)].allSatisfy { $0 == -9 } }
        let touched = (0..<20).filter { t in masked.values[(t * 4)..<(t * 4 + 4)].contains(-9) }
        #expect(blank == touched && blank.count <= 8)
    }

    @Test func generatorDrawsAreKeyedNotSequential() {
        let r = MediaRandom(seed: 9, 1, 2)
        #expect(r.bits(5) == MediaRandom(seed: 9, 1, 2).bits(5))
        #expect(r.bits(5) != MediaRandom(seed: 9, 1, 3).bits(5))
        #expect(r.derived(1).bits(0) != r.derived(2).bits(0))
        let uniforms = (0..<10_000).map { r.uniform($0) }
        #expect(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = uniforms.reduce(0, +) / 10_000
        #expect(abs(mean - 0.5) < 0.02)
        let normals = (0..<10_000).map { r.normal($0) }
        let m = normals.reduce(0, +) / 10_000
        let variance = normals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 10_000
        #expect(abs(m) < 0.05 && abs(variance - 1) < 0.05)
    }
}
