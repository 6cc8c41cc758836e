// Kaldi's analysis windows and triangular mel filters, computed as torchaudio's
// `_feature_window_function` and `get_mel_banks` do (mel = 1127 ln(1 + f/700), no VTLN).
import Foundation

enum KaldiTables {
    /// The `size`-sample analysis window (symmetric, as torch's `periodic=False`).
    static func window(_ kind: KaldiWindow, size: Int, blackmanCoefficient: Double) -> [Double] {
        let a = 2 * Double.pi / Double(size - 1)
        return (0..<size).map { i -> Double in
            let n = Double(i)
            switch kind {
            case .hanning: return 0.5 - 0.5 * cos(a * n)
            case .hamming: return 0.54 - 0.46 * cos(a * n)
            case .povey: return pow(0.5 - 0.5 * cos(a * n), 0.85)
            case .rectangular: return 1
            case .blackman:
                return blackmanCoefficient - 0.5 * cos(a * n) + (0.5 - blackmanCoefficient) * cos(2 * a * n)
            }
        }
    }

    static func mel(_ hz: Double) -> Double { 1127 * log(1 + hz / 700) }

    /// Triangular filters over FFT bins 0..<fftLength/2 (the Nyquist bin gets no weight, as in
    /// torchaudio). Stored sparsely: bin `m` covers `first[m] ..< first[m] + count[m]`, its weights
    /// packed in `weights` from `offset[m]`.
    struct MelBanks {
        var first: [Int] = []
        var count: [Int] = []
        var offset: [Int] = []
        var weights: [Double] = []
    }

    static func melBanks(_ o: KaldiFbankOptions) -> MelBanks {
        let fftBins = o.paddedSize / 2
        let nyquist = o.sampleRate / 2
        let high = o.highFrequency <= 0 ? o.highFrequency + nyquist : o.highFrequency
        let binWidth = o.sampleRate / Double(o.paddedSize)
        let melLow = mel(o.lowFrequency), melHigh = mel(high)
        let delta = (melHigh - melLow) / Double(o.melBins + 1)
        let binMels = (0..<fftBins).map { mel(binWidth * Double($0)) }
        var banks = MelBanks()
        for m in 0..<o.melBins {
            let left = melLow + Double(m) * delta
            let center = melLow + Double(m + 1) * delta
            let right = melLow + Double(m + 2) * delta
            var first = -1
            var row: [Double] = []
            for k in 0..<fftBins {
                let up = (binMels[k] - left) / (center - left)
                let down = (right - binMels[k]) / (right - center)
                let w = max(0, min(up, down))
                guard w > 0 else { if first >= 0 { break } else { continue } }
                if first < 0 { first = k }
                row.append(w)
            }
            banks.first.append(max(first, 0))
            banks.count.append(row.count)
            banks.offset.append(banks.weights.count)
            banks.weights.append(contentsOf: row)
        }
        return banks
    }
}
