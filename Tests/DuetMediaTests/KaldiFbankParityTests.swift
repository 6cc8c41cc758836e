// Filterbank parity with torchaudio.compliance.kaldi.fbank (the kaldi_fbank fixture), plus the
// shape rules and options torchaudio users rely on.
import DuetMedia
import DuetTensor
import DuetTestSupport
import Foundation
import Testing

@Suite struct KaldiFbankParityTests {
    /// The keyword arguments of the fixture's recorded call, e.g. "num_mel_bins" → "128".
    static func callArguments(_ call: String) -> [String: String] {
        var result: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"(\w+)\s*=\s*('[^']*'|[^,)\s]+)"#)
        for match in pattern.matches(in: call, range: NSRange(call.startIndex..., in: call)) {
            guard let key = Range(match.range(at: 1), in: call), let value = Range(match.range(at: 2), in: call) else { continue }
            result[String(call[key])] = call[value].trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        return result
    }

    /// Options from the recorded call; every key the call names must be one we understand.
    static func options(fromCall call: String) throws -> KaldiFbankOptions {
        var o = KaldiFbankOptions()
        for (key, value) in callArguments(call) {
            let flag = value == "True"
            switch key {
            case "htk_compat": o.htkCompat = flag
            case "use_energy": o.useEnergy = flag
            case "sample_frequency": o.sampleRate = try #require(Double(value))
            case "window_type": o.window = try #require(KaldiWindow(rawValue: value))
            case "num_mel_bins": o.melBins = try #require(Int(value))
            case "dither": o.dither = try #require(Float(value))
            case "frame_shift": o.frameShift = try #require(Double(value))
            case "frame_length": o.frameLength = try #require(Double(value))
            default: Issue.record("the fixture's call names \(key)=\(value), which this test does not map")
            }
        }
        if let scale = call.range(of: #"wave\*(\d+)"#, options: .regularExpression) {
            o.inputScale = try #require(Float(call[scale].dropFirst(5)))
        }
        return o
    }

    @Test func matchesTorchaudioWithin1e3() throws {
        let file = try Fixture.load("kaldi_fbank").safeTensorsFile
        let call = try #require(file.metadata["call"])
        let options = try Self.options(fromCall: call)
        let wave = try file.entry("in.wave").floats()
        let expected = try file.entry("out.fbank")
        let fbank = try KaldiFbank(options)(wave)
        #expect(fbank.shape == expected.shape)
        let reference = try expected.floats()
        var worst: Float = 0
        for (a, b) in zip(fbank.values, reference) { worst = max(worst, abs(a - b)) }
        print("kaldi_fbank parity: max |Δ| = \(worst) over \(reference.count) values")
        #expect(worst <= 1e-3, "max |Δ| = \(worst)")
    }

    @Test func frameCountsFollowSnipEdges() throws {
        var o = KaldiFbankOptions.audioMAE
        let fbank = try KaldiFbank(o)
        #expect(fbank.frameCount(samples: 16_000) == 98)
        #expect(fbank.frameCount(samples: 399) == 0)
        #expect(fbank([Float](repeating: 0, count: 100)).frameCount == 0)
        o.snipEdges = false
        let unsnipped = try KaldiFbank(o)
        #expect(unsnipped.frameCount(samples: 16_000) == 100)
        let sine = (0..<16_000).map { Float(sin(Double($0) * 0.05)) }
        #expect(unsnipped(sine).shape == [100, 128])
    }

    @Test func energyColumnGoesLastWithHTKCompatAndFirstWithout() throws {
        var o = KaldiFbankOptions()
        o.useEnergy = true
        o.htkCompat = true
        let sine = (0..<4_000).map { Float(sin(Double($0) * 0.3)) * 1000 }
        let last = try KaldiFbank(o)(sine)
        o.htkCompat = false
        let first = try KaldiFbank(o)(sine)
        #expect(last.binCount == 24 && first.binCount == 24)
        #expect(last.values[23] == first.values[0])
        #expect(Array(last.values[0..<23]) == Array(first.values[1..<24]))
    }

    @Test func rejectsImpossibleOptions() {
        var o = KaldiFbankOptions()
        o.melBins = 2
        #expect(throws: MediaError.self) { try KaldiFbank(o) }
        o = KaldiFbankOptions()
        o.frameShift = 0
        #expect(throws: MediaError.self) { try KaldiFbank(o) }
        o = KaldiFbankOptions()
        o.highFrequency = 9_000
        #expect(throws: MediaError.self) { try KaldiFbank(o) }
    }

    @Test func audioSetNormalisationIsMeanOverTwoStd() {
        var bank = Filterbank(values: [-4.2677393, 4.8702555], frameCount: 1, binCount: 2)
        FbankNormalization.audioSet.apply(&bank)
        #expect(abs(bank.values[0]) < 1e-6)
        #expect(abs(bank.values[1] - 1) < 1e-5)
    }
}
