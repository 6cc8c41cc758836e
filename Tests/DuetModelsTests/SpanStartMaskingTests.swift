// RAVEn's span masking: spans start where the draws say, run spanLength frames, never touch
// padding; the masked fraction matches 1 − (1 − p)^L away from the ends; zeroing hits only
// masked frames, stretched over the audio.
import Testing
import DuetTensor
@testable import DuetModels

@Suite struct SpanStartMaskingTests {
    @Test func spansStartWhereTheDrawsSayAndRunThreeFrames() {
        let masking = SpanStartMasking(probability: 0.2, spanLength: 3)
        for sample in 0..<50 {
            let stream = RandomStream(seed: 5).derived(UInt64(sample))
            let flags = masking.flags(length: 32, steps: 32, stream: stream)
            let starts = (0..<32).filter { stream.uniform($0) < 0.2 }
            guard !starts.isEmpty else { continue }
            var expected = [Bool](repeating: false, count: 32)
            for t in starts { for s in t..<min(32, t + 3) { expected[s] = true } }
            if expected.allSatisfy({ $0 }) { continue }
            #expect(flags == expected, "sample \(sample)")
        }
    }

    @Test func ratioMatchesTheSpanStartProbability() {
        // Away from the first frames, a frame is masked when one of the 3 frames up to it starts a
        // span: 1 − 0.8³ = 0.488.
        let masking = SpanStartMasking(probability: 0.2, spanLength: 3)
        let mask = masking.mask(lengths: Array(repeating: 400, count: 64), steps: 400, stream: RandomStream(seed: 9))
        var masked = 0, counted = 0
        for b in 0..<64 {
            for t in 2..<400 {
                counted += 1
                if mask.flags[b * 400 + t] { masked += 1 }
            }
        }
        let fraction = Double(masked) / Double(counted)
        #expect(abs(fraction - 0.488) < 0.01, "masked fraction \(fraction)")
        // Every run of masked frames is at least a span long (spans cut by the end excepted).
        for b in 0..<64 {
            var run = 0
            for t in 0..<400 {
                if mask.flags[b * 400 + t] { run += 1 } else { if run > 0 { #expect(run >= 3) }; run = 0 }
            }
        }
    }

    @Test func paddingIsNeverMaskedAndEverySampleHasASpanAndAVisibleFrame() {
        let never = SpanStartMasking(probability: 0, spanLength: 3)
        let always = SpanStartMasking(probability: 1, spanLength: 3)
        let mask = never.mask(lengths: [10, 6], steps: 10, stream: RandomStream(seed: 1))
        #expect(mask.maskedCount == 6)
        #expect(!mask.flags[16..<20].contains(true))
        let full = always.mask(lengths: [10, 6], steps: 10, stream: RandomStream(seed: 1))
        #expect(full.maskedCount == 9 + 5)
        #expect(!full.flags[16..<20].contains(true))
        // Deterministic in the stream.
        #expect(SpanStartMasking(probability: 0.2, spanLength: 3).mask(lengths: [32, 32], steps: 32, stream: RandomStream(seed: 3))
            == SpanStartMasking(probability: 0.2, spanLength: 3).mask(lengths: [32, 32], steps: 32, stream: RandomStream(seed: 3)))
    }

    @Test func zeroingStretchesOverAudioFrames() {
        let mask = FrameMask(flags: [false, true, false, true, false, false], batch: 2, steps: 3)
        // Video [B, C, T, H, W] = [2, 1, 3, 1, 2]; audio [B, 1, 4·T, M] = [2, 1, 12, 2].
        let video = Tensor.ones([2, 1, 3, 1, 2])
        #expect(mask.zeroing(video, timeAxis: 2).scalars == [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1])
        let audio = mask.zeroing(Tensor.ones([2, 1, 12, 2]), timeAxis: 2).scalars
        #expect(audio[0..<8].allSatisfy { $0 == 1 } && audio[8..<16].allSatisfy { $0 == 0 } && audio[16..<24].allSatisfy { $0 == 1 })
        #expect(audio[24..<32].allSatisfy { $0 == 0 } && audio[32...].allSatisfy { $0 == 1 })
        #expect(mask.stretched(by: 2).flags == [false, false, true, true, false, false, true, true, false, false, false, false])
        #expect(mask.maskedRows.values == [1, 3])
    }
}
