// The parameters of torchaudio.compliance.kaldi.fbank, with its defaults and its names in Swift
// style, plus the presets AudioMAE / MAViL and BEATs use.

/// Kaldi's analysis windows (`window_type`).
public enum KaldiWindow: String, Sendable, CaseIterable {
    case hamming, hanning, povey, rectangular, blackman
}

/// Every option of `torchaudio.compliance.kaldi.fbank`, defaults as there (VTLN warping is not
/// supported). Times are in milliseconds and frequencies in Hz, as in torchaudio.
public struct KaldiFbankOptions: Sendable, Equatable {
    public var sampleRate: Double = 16_000
    public var frameLength: Double = 25
    public var frameShift: Double = 10
    public var melBins = 23
    public var lowFrequency: Double = 20
    /// ≤ 0 counts down from the Nyquist frequency, as in Kaldi.
    public var highFrequency: Double = 0
    public var window: KaldiWindow = .povey
    public var blackmanCoefficient: Double = 0.42
    public var preemphasis: Float = 0.97
    public var removeDCOffset = true
    /// Gaussian noise of this standard deviation added to every sample (0: off). Drawn from a
    /// counter-based stream keyed by `ditherSeed`, so it is reproducible, not torch's.
    public var dither: Float = 0
    public var ditherSeed: UInt64 = 0
    public var roundToPowerOfTwo = true
    public var snipEdges = true
    public var rawEnergy = true
    public var energyFloor: Float = 1
    public var useEnergy = false
    public var useLogFbank = true
    public var usePower = true
    public var htkCompat = false
    public var subtractMean = false
    /// Inputs shorter than this many seconds give no frames.
    public var minDuration: Double = 0
    /// Every sample is multiplied by this first: 32768 gives Kaldi's int16 scale (BEATs and most
    /// Kaldi recipes); AudioMAE, MAViL and AST use 1 (samples in [-1, 1]).
    public var inputScale: Float = 1

    public init() {}

    /// AudioMAE / MAViL / AST: 128 mels, Hanning, HTK-compatible, no dither, 25 ms / 10 ms.
    public static var audioMAE: KaldiFbankOptions {
        var o = KaldiFbankOptions()
        o.melBins = 128
        o.window = .hanning
        o.htkCompat = true
        return o
    }

    /// BEATs: 128 mels on int16-scaled samples, Povey window, 25 ms / 10 ms.
    public static var beats: KaldiFbankOptions {
        var o = KaldiFbankOptions()
        o.melBins = 128
        o.inputScale = 32768
        return o
    }

    /// Samples per frame (`window_size`), per shift, and the FFT length.
    var windowSize: Int { Int(sampleRate * frameLength * 0.001) }
    var windowShift: Int { Int(sampleRate * frameShift * 0.001) }
    var paddedSize: Int {
        guard roundToPowerOfTwo else { return windowSize }
        var n = 1
        while n < windowSize { n <<= 1 }
        return n
    }

    func validate() throws(MediaError) {
        func bad(_ name: String, _ why: String) -> MediaError { .invalidArgument(name: name, reason: why) }
        guard sampleRate.isFinite, sampleRate >= 100, sampleRate <= 1_000_000 else { throw bad("sample rate", "must be in 100...1000000 Hz (got \(sampleRate))") }
        guard frameLength.isFinite, frameShift.isFinite, frameShift > 0, windowSize >= 2, windowShift >= 1, windowSize <= 1 << 18 else {
            throw bad("frame length/shift", "give at least 2 samples a frame and 1 a shift, at most \(1 << 18) a frame (got \(frameLength) ms / \(frameShift) ms at \(Int(sampleRate)) Hz)")
        }
        guard melBins > 3, melBins <= 4096 else { throw bad("mel bins", "must be in 4...4096 (got \(melBins))") }
        let nyquist = sampleRate / 2
        let high = highFrequency <= 0 ? highFrequency + nyquist : highFrequency
        guard lowFrequency >= 0, lowFrequency < nyquist, high > lowFrequency, high <= nyquist else {
            throw bad("frequencies", "need 0 ≤ low < high ≤ Nyquist (\(nyquist) Hz); got low \(lowFrequency), high \(high)")
        }
        guard dither.isFinite, dither >= 0, preemphasis.isFinite, energyFloor.isFinite, energyFloor >= 0, inputScale.isFinite else {
            throw bad("fbank options", "dither, preemphasis, energy floor and input scale must be finite (dither and floor ≥ 0)")
        }
    }
}
