// `duet data stats`: the mean and standard deviation of the log-mel filterbank over a dataset, which
// AudioMAE (after AST) stores and applies as (x − mean) / (2·std).
import DuetMedia
import DuetTensor
import Foundation

/// A dataset's filterbank statistics, as written to and read from `stats.json`.
public struct FbankStats: Codable, Sendable, Equatable {
    public var mean: Double
    public var std: Double
    public var mels: Int
    public var sampleRate: Int
    /// Files measured, their filterbank frames, and files that failed to decode.
    public var files: Int
    public var frames: Int
    public var skipped: Int

    enum CodingKeys: String, CodingKey {
        case mean, std, mels, files, frames, skipped
        case sampleRate = "sample_rate"
    }

    public init(mean: Double, std: Double, mels: Int, sampleRate: Int, files: Int, frames: Int, skipped: Int) {
        self.mean = mean
        self.std = std
        self.mels = mels
        self.sampleRate = sampleRate
        self.files = files
        self.frames = frames
        self.skipped = skipped
    }

    /// The normalisation a dataset applies with these statistics.
    public var normalization: FbankNormalization { FbankNormalization(mean: Float(mean), std: Float(std)) }

    public static func load(contentsOf path: String) throws(DataError) -> FbankStats {
        let text = try readText(path)
        do {
            return try JSONDecoder().decode(FbankStats.self, from: Data(text.utf8))
        } catch {
            throw .io(file: path, reason: "not a statistics file from `duet data stats`: \(error)")
        }
    }

    public func write(to path: String) throws(DataError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        try writeText(String(decoding: data, as: UTF8.self) + "\n", to: path)
    }

    /// Pooled over every frame and bin of every file's whole audio (AST and AudioMAE average
    /// per-batch means and stds over zero-padded windows, which this approximates without the
    /// padding). `maxFiles` measures a random subset drawn with `seed`. Files that fail to decode
    /// are left out and returned.
    public static func compute(_ manifest: Manifest, fbank options: KaldiFbankOptions = .audioMAE, sampleRate: Int = 16_000,
                               maxFiles: Int? = nil, seed: UInt64 = 0,
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws(DataError) -> (FbankStats, [Rejection]) {
        var fbankOptions = options
        fbankOptions.sampleRate = Double(sampleRate)
        do { _ = try KaldiFbank(fbankOptions) } catch { throw .invalidOption(name: "fbank", reason: error.description) }
        var chosen = Array(0..<manifest.count)
        if let maxFiles, maxFiles < manifest.count {
            chosen = Array(RandomStream(seed: seed).derived(0x5354_4154).permutation(manifest.count).prefix(max(0, maxFiles))).sorted()
        }
        let partials = parallelMap(chosen.count, threads: threads, makeState: { try? KaldiFbank(fbankOptions) }) {
            fbank, k -> Result<(Double, Double, Int), MediaError> in
            do throws(MediaError) {
                let audio = try MediaReader(path: manifest.audioFile(chosen[k])).audio(sampleRate: sampleRate)
                let bank = try fbank!(audio)
                var sum = 0.0, squares = 0.0
                for v in bank.values { sum += Double(v); squares += Double(v) * Double(v) }
                return .success((sum, squares, bank.frameCount))
            } catch {
                return .failure(error)
            }
        }
        var sum = 0.0, squares = 0.0, frames = 0, files = 0
        var rejections: [Rejection] = []
        for (k, partial) in partials.enumerated() {
            switch partial {
            case .success(let (s, q, n)):
                sum += s; squares += q; frames += n; files += 1
            case .failure(let error):
                rejections.append(Rejection(index: chosen[k], id: manifest.entries[chosen[k]].id, error: error))
            }
        }
        let values = Double(frames * fbankOptions.melBins)
        guard values > 1 else {
            throw .invalidOption(name: manifest.file ?? "manifest", reason: "no file gave filterbank frames (\(rejections.count) failed)")
        }
        let mean = sum / values
        let variance = max(0, (squares - values * mean * mean) / (values - 1))
        return (FbankStats(mean: mean, std: variance.squareRoot(), mels: fbankOptions.melBins, sampleRate: sampleRate,
                           files: files, frames: frames, skipped: rejections.count), rejections)
    }
}
