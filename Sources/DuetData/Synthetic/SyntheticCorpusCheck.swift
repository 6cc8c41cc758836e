// Shows that a model can use the synthetic corpus: simple features of the decoded MP4s (binned
// filterbanks for audio, binned mouth-region statistics for video) and a linear discriminant
// fitted on the training speakers recover the words of unseen test speakers from either
// modality; the video confusions show that p/b/m cannot be told apart by the lips.
import DuetMedia
import Foundation

/// Fixed-length features of a clip for the corpus check: statistics averaged over equal time
/// bins of the stretch where something happens (found from the clip itself: loud frames for
/// audio, moving lips for video), each statistic's mean over the bins subtracted, which removes
/// the speaker's voice and face and keeps how they change.
public enum SyntheticFeatures {
    /// Time bins per clip.
    public static let bins = 8

    /// 40-mel Kaldi filterbanks of the loud stretch.
    public static func audio(_ samples: [Float], bank: KaldiFbank) -> [Float] {
        let fbank = bank(samples)
        let mels = fbank.binCount
        let loudness = (0..<fbank.frameCount).map { f in fbank.values[(f * mels)..<((f + 1) * mels)].reduce(0, +) / Float(mels) }
        let span = activeSpan(loudness, margin: 0.3, padding: 3)
        return centred(binnedMeans(fbank.values, rows: span, columns: mels), columns: mels)
    }

    /// Decodes files (all cores, one file each at a time) and returns each one's audio and video
    /// features; video is decoded as gray 48×48, which keeps every statistic of the mouth region.
    public static func extract(_ paths: [String]) throws(MediaError) -> [(audio: [Float], video: [Float])] {
        let results = WorkerResults<(audio: [Float], video: [Float]), MediaError>(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { _ in
            do throws(MediaError) {
                let bank = try audioBank()
                while let i = results.claim(below: paths.count) {
                    let reader = try MediaReader(path: paths[i])
                    let sound = try reader.audio(sampleRate: SyntheticClip.sampleRate)
                    let frames = try reader.video(VideoOptions(size: FrameSize(width: 48, height: 48), pixelFormat: .gray))
                    results.store((audio(sound.samples, bank: bank), video(frames)), at: i)
                }
            } catch {
                results.fail(error)
            }
        }
        if let failure = results.failure { throw failure }
        return results.values.map { $0 ?? ([], []) }
    }

    /// The filterbank settings of `audio(_:bank:)`.
    public static func audioBank() throws(MediaError) -> KaldiFbank {
        var options = KaldiFbankOptions()
        options.melBins = 40
        return try KaldiFbank(options)
    }

    /// Per gray frame, in the mouth region (the middle 56×48 of a 96×96 frame, or the same share
    /// of a smaller one): the mean and standard deviation of the region and of its upper and
    /// lower halves, the share of dark pixels (the open mouth: below half the region's median)
    /// and the share of rows and of columns they reach.
    public static func video(_ clip: VideoClip) -> [Float] {
        let width = clip.width, height = clip.height
        let x0 = width * 20 / 96, x1 = width * 76 / 96
        let y0 = height * 36 / 96, yMid = height * 60 / 96, y1 = height * 84 / 96
        let columns = x1 - x0, rows = y1 - y0
        let statistics = 9
        var perFrame = [Float](repeating: 0, count: clip.frameCount * statistics)
        var motion = [Float](repeating: 0, count: clip.frameCount)
        clip.values.withUnsafeBufferPointer { values in
            for f in 0..<clip.frameCount {
                let frame = values.baseAddress! + f * clip.frameSize
                var out = f * statistics
                for band in [y0..<y1, y0..<yMid, yMid..<y1] {
                    var sum: Float = 0, squares: Float = 0
                    for y in band {
                        for x in x0..<x1 {
                            let v = frame[y * width + x]
                            sum += v
                            squares += v * v
                        }
                    }
                    let n = Float(band.count * columns)
                    perFrame[out] = sum / n
                    perFrame[out + 1] = max(0, squares / n - (sum / n) * (sum / n)).squareRoot()
                    out += 2
                }
                // The median from a histogram of 8-bit levels.
                var histogram = [Int](repeating: 0, count: 256)
                for y in y0..<y1 { for x in x0..<x1 { histogram[min(255, max(0, Int(frame[y * width + x] * 255 + 0.5)))] += 1 } }
                var level = 0, seen = 0
                while seen + histogram[level] <= rows * columns / 2 {
                    seen += histogram[level]
                    level += 1
                }
                let threshold = 0.5 * Float(level) / 255
                var dark = 0
                var darkRows = [Bool](repeating: false, count: rows), darkColumns = [Bool](repeating: false, count: columns)
                for y in y0..<y1 {
                    for x in x0..<x1 where frame[y * width + x] < threshold {
                        dark += 1
                        darkRows[y - y0] = true
                        darkColumns[x - x0] = true
                    }
                }
                perFrame[out] = Float(dark) / Float(rows * columns)
                perFrame[out + 1] = Float(darkRows.filter { $0 }.count) / Float(rows)
                perFrame[out + 2] = Float(darkColumns.filter { $0 }.count) / Float(columns)
                if f > 0 {
                    let last = frame - clip.frameSize
                    var change: Float = 0
                    for y in y0..<y1 { for x in x0..<x1 { change += abs(frame[y * width + x] - last[y * width + x]) } }
                    motion[f] = change / Float(rows * columns)
                }
            }
        }
        let smoothed = motion.indices.map { i in motion[max(0, i - 1)...min(motion.count - 1, i + 1)].reduce(0, +) / 3 }
        let span = activeSpan(smoothed, margin: 0.2, padding: 2)
        return centred(binnedMeans(perFrame, rows: span, columns: statistics), columns: statistics)
    }

    /// From the first to the last value above floor + margin × (peak − floor), the floor being
    /// the 10th percentile, widened by `padding` on each side.
    static func activeSpan(_ values: [Float], margin: Float, padding: Int) -> Range<Int> {
        guard let peak = values.max() else { return 0..<0 }
        let floor = values.sorted()[values.count / 10]
        let threshold = floor + margin * (peak - floor)
        guard let first = values.firstIndex(where: { $0 > threshold }),
              let last = values.lastIndex(where: { $0 > threshold }) else { return 0..<values.count }
        return max(0, first - padding)..<min(values.count, last + 1 + padding)
    }

    /// The means of rows of `columns` values over `bins` equal stretches of `rows`.
    static func binnedMeans(_ values: [Float], rows: Range<Int>, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: bins * columns)
        for b in 0..<bins {
            let lo = rows.lowerBound + rows.count * b / bins
            let hi = min(rows.upperBound, max(lo + 1, rows.lowerBound + rows.count * (b + 1) / bins))
            guard lo < hi else { continue }
            for r in lo..<hi {
                for c in 0..<columns { out[b * columns + c] += values[r * columns + c] }
            }
            for c in 0..<columns { out[b * columns + c] /= Float(hi - lo) }
        }
        return out
    }

    /// Subtracts each column's mean over the bins.
    static func centred(_ binned: [Float], columns: Int) -> [Float] {
        var out = binned
        for c in 0..<columns {
            let mean = (0..<bins).reduce(Float(0)) { $0 + binned[$1 * columns + c] } / Float(bins)
            for b in 0..<bins { out[b * columns + c] -= mean }
        }
        return out
    }
}

/// Nearest class mean under the pooled within-class covariance (linear discriminant analysis):
/// features are standardised, the covariance regularised by `ridge` × identity and inverted
/// through a Cholesky factor, and a sample goes to the class with the largest linear score.
public struct LinearDiscriminant: Sendable {
    public let classes: Int
    private let mean: [Float]
    private let scale: [Float]
    /// Per class, Σ⁻¹μ and −½ μᵀΣ⁻¹μ.
    private let weights: [[Double]]
    private let biases: [Double]

    public init(features: [[Float]], labels: [Int], classes: Int, ridge: Double = 0.3) {
        let d = features.first?.count ?? 0
        let n = Double(max(1, features.count))
        var mean = [Float](repeating: 0, count: d), scale = mean
        for x in features { for j in 0..<d { mean[j] += x[j] / Float(n) } }
        for x in features { for j in 0..<d { scale[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / Float(n) } }
        scale = scale.map { $0 > 1e-12 ? 1 / $0.squareRoot() : 0 }
        let standard = features.map { x in (0..<d).map { Double((x[$0] - mean[$0]) * scale[$0]) } }

        self.classes = classes
        var centroids = [[Double]](repeating: [Double](repeating: 0, count: d), count: classes)
        var counts = [Double](repeating: 0, count: classes)
        for (x, label) in zip(standard, labels) where (0..<classes).contains(label) {
            for j in 0..<d { centroids[label][j] += x[j] }
            counts[label] += 1
        }
        for c in 0..<classes where counts[c] > 0 { centroids[c] = centroids[c].map { $0 / counts[c] } }
        var covariance = [Double](repeating: 0, count: d * d)
        for (x, label) in zip(standard, labels) where (0..<classes).contains(label) {
            let r = (0..<d).map { x[$0] - centroids[label][$0] }
            for i in 0..<d where r[i] != 0 { for j in 0...i { covariance[i * d + j] += r[i] * r[j] / n } }
        }
        for i in 0..<d { covariance[i * d + i] += ridge }
        let factor = LinearDiscriminant.cholesky(covariance, size: d)
        let solved = centroids.map { LinearDiscriminant.solve(factor, size: d, $0) }
        weights = solved
        biases = (0..<classes).map { c in
            counts[c] > 0 ? -0.5 * zip(centroids[c], solved[c]).reduce(0) { $0 + $1.0 * $1.1 } : -Double.infinity
        }
        self.mean = mean
        self.scale = scale
    }

    public func predict(_ x: [Float]) -> Int {
        let standard = (0..<x.count).map { Double((x[$0] - mean[$0]) * scale[$0]) }
        var best = 0, bestScore = -Double.infinity
        for c in 0..<classes {
            let score = biases[c] + zip(standard, weights[c]).reduce(0) { $0 + $1.0 * $1.1 }
            if score > bestScore {
                bestScore = score
                best = c
            }
        }
        return best
    }

    /// The lower-triangular L with L·Lᵀ = a (a symmetric positive definite, lower half filled).
    static func cholesky(_ a: [Double], size d: Int) -> [Double] {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = a[i * d + j]
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = i == j ? max(sum, 1e-12).squareRoot() : sum / l[j * d + j]
            }
        }
        return l
    }

    /// x with L·Lᵀ·x = b.
    static func solve(_ l: [Double], size d: Int, _ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<d {
            for k in 0..<i { y[i] -= l[i * d + k] * y[k] }
            y[i] /= l[i * d + i]
        }
        for i in stride(from: d - 1, through: 0, by: -1) {
            for k in (i + 1)..<d { y[i] -= l[k * d + i] * y[k] }
            y[i] /= l[i * d + i]
        }
        return y
    }
}

/// What the check found, on the one-word clips of the test speakers.
public struct SyntheticCheckReport: Sendable, CustomStringConvertible {
    public let words: [String]
    public let trainClips: Int
    public let testClips: Int
    public let audioAccuracy: Double
    public let videoAccuracy: Double
    public var chance: Double { 1 / Double(max(1, words.count)) }
    /// [true word][predicted word] counts on the test clips.
    public let audioConfusion: [[Int]]
    public let videoConfusion: [[Int]]

    /// The confusions restricted to a group of words (rows and columns in the order given);
    /// nil when a word is not in the corpus.
    public func confusion(among group: [String], video: Bool) -> [[Int]]? {
        let indices = group.compactMap { words.firstIndex(of: $0) }
        guard indices.count == group.count else { return nil }
        let matrix = video ? videoConfusion : audioConfusion
        return indices.map { row in indices.map { matrix[row][$0] } }
    }

    /// Of the test clips of a group's words, the share predicted as their own word and the share
    /// predicted as any word of the group.
    public func groupAccuracy(_ group: [String], video: Bool) -> (exact: Double, withinGroup: Double)? {
        guard let block = confusion(among: group, video: video) else { return nil }
        let matrix = video ? videoConfusion : audioConfusion
        let rows = group.compactMap { words.firstIndex(of: $0) }
        let total = rows.reduce(0) { $0 + matrix[$1].reduce(0, +) }
        guard total > 0 else { return nil }
        let exact = (0..<group.count).reduce(0) { $0 + block[$1][$1] }
        let within = block.reduce(0) { $0 + $1.reduce(0, +) }
        return (Double(exact) / Double(total), Double(within) / Double(total))
    }

    public var description: String {
        func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        var lines = ["word recognition on unseen speakers: \(testClips) test clips, \(trainClips) training clips, \(words.count) words",
                     "  chance \(percent(chance)), audio \(percent(audioAccuracy)), video \(percent(videoAccuracy))"]
        for group in [["pat", "bat", "mat"], ["pole", "bowl", "mole"], ["toe", "doe", "no"], ["fan", "van"]] {
            guard let video = confusion(among: group, video: true), let audio = confusion(among: group, video: false),
                  let v = groupAccuracy(group, video: true), let a = groupAccuracy(group, video: false) else { continue }
            lines.append("  \(group.joined(separator: "/")): video right \(percent(v.exact)) (within the group \(percent(v.withinGroup))), "
                         + "audio right \(percent(a.exact)); confusions (rows true, columns predicted) video \(video), audio \(audio)")
        }
        return lines.joined(separator: "\n")
    }
}

extension SyntheticCorpus {
    /// Decodes the one-word clips of a written corpus, fits linear discriminants on the
    /// training speakers' audio and video features, and scores them on the test speakers.
    public func check(_ clips: [SyntheticClipRecord], root: String) throws(MediaError) -> SyntheticCheckReport {
        let words = clips.filter { $0.label != nil && $0.split != .valid }
        let features = try SyntheticFeatures.extract(words.map { URL(fileURLWithPath: root).appendingPathComponent($0.path).path })
        let audio = features.map(\.audio), video = features.map(\.video), labels = words.map { $0.label ?? 0 }
        let train = words.indices.filter { words[$0].split == .train }
        let test = words.indices.filter { words[$0].split == .test }
        func evaluate(_ features: [[Float]]) -> (Double, [[Int]]) {
            let model = LinearDiscriminant(features: train.map { features[$0] }, labels: train.map { labels[$0] }, classes: vocabulary.count)
            var confusion = [[Int]](repeating: [Int](repeating: 0, count: vocabulary.count), count: vocabulary.count)
            for i in test { confusion[labels[i]][model.predict(features[i])] += 1 }
            let right = (0..<vocabulary.count).reduce(0) { $0 + confusion[$1][$1] }
            return (test.isEmpty ? 0 : Double(right) / Double(test.count), confusion)
        }
        let (audioAccuracy, audioConfusion) = evaluate(audio)
        let (videoAccuracy, videoConfusion) = evaluate(video)
        return SyntheticCheckReport(words: vocabulary.map(\.text), trainClips: train.count, testClips: test.count,
                                    audioAccuracy: audioAccuracy, videoAccuracy: videoAccuracy,
                                    audioConfusion: audioConfusion, videoConfusion: videoConfusion)
    }
}
