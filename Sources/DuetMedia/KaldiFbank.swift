// Kaldi filterbanks computed exactly as torchaudio.compliance.kaldi.fbank does, frame by frame on
// raw pointers in double precision: DC removal, energy, pre-emphasis, window, zero padding, av_tx power spectrum,
// sparse mel filters, log with an epsilon floor.
import Foundation

/// A [frames, bins] matrix of log-mel energies (plus the energy column when asked for).
public struct Filterbank: Sendable, Equatable {
    public var values: [Float]
    public let frameCount: Int
    public let binCount: Int
    public var shape: [Int] { [frameCount, binCount] }

    public init(values: [Float], frameCount: Int, binCount: Int) {
        self.values = values
        self.frameCount = frameCount
        self.binCount = binCount
    }
}

/// A filterbank extractor for one set of options. Holds its FFT buffers, so it is not
/// thread-safe: make one per decoding thread (construction is cheap).
public final class KaldiFbank {
    public let options: KaldiFbankOptions
    private let window: [Double]
    private let banks: KaldiTables.MelBanks
    private let fft: RealFFT
    private var spectrum: [Double]

    public init(_ options: KaldiFbankOptions = KaldiFbankOptions()) throws(MediaError) {
        try options.validate()
        self.options = options
        window = KaldiTables.window(options.window, size: options.windowSize, blackmanCoefficient: options.blackmanCoefficient)
        banks = KaldiTables.melBanks(options)
        fft = try RealFFT(length: options.paddedSize)
        spectrum = [Double](repeating: 0, count: options.paddedSize / 2 + 1)
    }

    /// The number of frames `sampleCount` samples give (torchaudio's `_get_strided`).
    public func frameCount(samples n: Int) -> Int {
        let size = options.windowSize, shift = options.windowShift
        if Double(n) < options.minDuration * options.sampleRate { return 0 }
        if options.snipEdges { return n < size ? 0 : 1 + (n - size) / shift }
        return (n + shift / 2) / shift
    }

    /// The filterbank of an audio clip, which must be at the options' sample rate.
    public func callAsFunction(_ clip: AudioClip) throws(MediaError) -> Filterbank {
        guard Double(clip.sampleRate) == options.sampleRate else {
            throw .invalidArgument(name: "sample rate", reason: "the clip is at \(clip.sampleRate) Hz, the filterbank expects \(Int(options.sampleRate)) Hz")
        }
        return self(clip.samples)
    }

    /// The filterbank of mono samples at `options.sampleRate`.
    public func callAsFunction(_ samples: [Float]) -> Filterbank {
        let signal = options.snipEdges ? samples : reflectPadded(samples)
        let frames = frameCount(samples: samples.count)
        let columns = options.melBins + (options.useEnergy ? 1 : 0)
        var values = [Float](repeating: 0, count: frames * columns)
        signal.withUnsafeBufferPointer { input in
            values.withUnsafeMutableBufferPointer { out in
                spectrum.withUnsafeMutableBufferPointer { spec in
                    guard let source = input.baseAddress, let target = out.baseAddress, let power = spec.baseAddress else { return }
                    for f in 0..<frames {
                        frame(f, from: source + f * options.windowShift, into: target + f * columns, spectrum: power)
                    }
                }
            }
        }
        var bank = Filterbank(values: values, frameCount: frames, binCount: columns)
        if options.subtractMean { subtractColumnMeans(&bank) }
        return bank
    }

    /// One frame: `source` holds `windowSize` samples; `row` gets the frame's `columns` values.
    private func frame(_ index: Int, from source: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>,
                       spectrum power: UnsafeMutablePointer<Double>) {
        let o = options
        let size = o.windowSize
        let x = fft.input
        let epsilon = Double(Float.ulpOfOne)
        let scale = Double(o.inputScale)
        for i in 0..<size { x[i] = Double(source[i]) * scale }
        if o.dither != 0 {
            let noise = MediaRandom(seed: o.ditherSeed)
            let base = index * size
            for i in 0..<size { x[i] += Double(noise.normal(base + i) * o.dither) }
        }
        if o.removeDCOffset {
            var sum: Double = 0
            for i in 0..<size { sum += x[i] }
            let mean = sum / Double(size)
            for i in 0..<size { x[i] -= mean }
        }
        // torchaudio always computes the energy; it only matters when it becomes a column.
        var energy: Float = 0
        if o.useEnergy && o.rawEnergy { energy = logEnergy(x, count: size) }
        if o.preemphasis != 0 {
            let c = Double(o.preemphasis)
            var i = size - 1
            while i > 0 { x[i] -= c * x[i - 1]; i -= 1 }
            x[0] -= c * x[0]
        }
        window.withUnsafeBufferPointer { w in
            for i in 0..<size { x[i] *= w[i] }
        }
        for i in size..<o.paddedSize { x[i] = 0 }
        if o.useEnergy && !o.rawEnergy { energy = logEnergy(x, count: o.paddedSize) }
        fft.spectrum(into: power, power: o.usePower)

        let energyFirst = o.useEnergy && !o.htkCompat
        let mels = row + (energyFirst ? 1 : 0)
        banks.weights.withUnsafeBufferPointer { weights in
            for m in 0..<o.melBins {
                let w = weights.baseAddress! + banks.offset[m]
                let p = power + banks.first[m]
                var e: Double = 0
                for k in 0..<banks.count[m] { e += w[k] * p[k] }
                // logf on the rounded energy: within 1e-7 of the double log, and much cheaper.
                mels[m] = o.useLogFbank ? log(Float(e < epsilon ? epsilon : e)) : Float(e)
            }
        }
        if o.useEnergy { row[energyFirst ? 0 : o.melBins] = energy }
    }

    /// log(max(Σx², ε)), floored at log(energyFloor) when that is not 0 (Kaldi's `_get_log_energy`).
    private func logEnergy(_ x: UnsafeMutablePointer<Double>, count: Int) -> Float {
        var sum: Double = 0
        for i in 0..<count { sum += x[i] * x[i] }
        let e = Float(log(max(sum, Double(Float.ulpOfOne))))
        return options.energyFloor == 0 ? e : max(e, log(options.energyFloor))
    }

    /// The signal with Kaldi's edge handling when `snipEdges` is off: the first samples mirrored
    /// in front (or some dropped), the whole signal mirrored behind.
    private func reflectPadded(_ samples: [Float]) -> [Float] {
        let pad = options.windowSize / 2 - options.windowShift / 2
        let reversed = Array(samples.reversed())
        if pad > 0 {
            return Array(reversed.suffix(pad)) + samples + reversed
        }
        return Array(samples.dropFirst(min(-pad, samples.count))) + reversed
    }

    private func subtractColumnMeans(_ bank: inout Filterbank) {
        guard bank.frameCount > 0 else { return }
        let columns = bank.binCount, frames = bank.frameCount
        var means = [Float](repeating: 0, count: columns)
        for f in 0..<frames { for c in 0..<columns { means[c] += bank.values[f * columns + c] } }
        for c in 0..<columns { means[c] /= Float(frames) }
        for f in 0..<frames { for c in 0..<columns { bank.values[f * columns + c] -= means[c] } }
    }
}

/// The dataset normalisation AudioMAE and MAViL apply to filterbanks: (x − mean) / (2·std).
public struct FbankNormalization: Sendable, Equatable {
    public var mean: Float
    public var std: Float

    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std
    }

    /// AudioSet's statistics as AudioMAE computed them (128 mels, Hanning, int16-free scale).
    public static let audioSet = FbankNormalization(mean: -4.2677393, std: 4.5689974)

    public func apply(_ bank: inout Filterbank) {
        let shift = mean, scale = 1 / (2 * std)
        bank.values.withUnsafeMutableBufferPointer { v in
            for i in v.indices { v[i] = (v[i] - shift) * scale }
        }
    }
}
