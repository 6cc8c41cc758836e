// W6 of the benchmark workloads (shared/bench/WORKLOADS.md), set up here so `duet bench` only
// times it: the prefetching loader turning a corpus of talking-mouth-like clips into batches of
// 16 audio-visual samples (128-mel filterbanks and 88² gray frames), with 1 and with N threads.
import DuetMedia
import Foundation

public enum LoaderWorkload {
    /// One run of the loader: timed batches after warm-up ones.
    public struct Timing: Sendable {
        public let workers: Int
        public let batchSize: Int
        /// The median time the consumer waited per batch, and the rate over all timed batches.
        public let medianBatchMilliseconds: Double
        public let clipsPerSecond: Double
    }

    /// A stand-in for the synthetic corpus until `duet data synth` lands: `clips` clips of
    /// `seconds` s, 96×96 H.264 at 25 fps with 16 kHz AAC (a mouth-like ellipse opening and
    /// closing over a textured face, a voiced tone following it), written once to `folder`
    /// with `train.tsv` beside them, and reused while they are there.
    public static func corpus(folder: String, clips: Int = 48, seconds: Double = 3) throws -> Manifest {
        let manifestPath = (folder as NSString).appendingPathComponent("train.tsv")
        if let existing = try? Manifest.load(contentsOf: manifestPath), existing.count == clips,
           (0..<existing.count).allSatisfy({ FileManager.default.fileExists(atPath: existing.audioFile($0)) }) {
            return existing
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var entries: [ManifestEntry] = []
        for c in 0..<clips {
            let name = String(format: "w6_%03d.mp4", c)
            let frames = Int(seconds * 25)
            try writeClip((folder as NSString).appendingPathComponent(name), variant: c, frames: frames)
            entries.append(ManifestEntry(id: String(name.dropLast(4)), videoPath: name, audioPath: name, videoFrames: frames,
                                         audioSamples: frames * 640))
        }
        let manifest = Manifest(root: folder, kind: .audioVisual, entries: entries, file: manifestPath)
        try manifest.write(to: manifestPath)
        return manifest
    }

    /// The dataset the tiny recipes read: 2.56 s windows, 128-mel AudioMAE filterbanks, gray
    /// 96² frames cut to 88², training augmentations.
    public static func dataset(_ manifest: Manifest) throws(DataError) -> AudioVisualDataset {
        var options = DatasetOptions()
        options.clipSeconds = 2.56
        return try AudioVisualDataset(manifest: manifest, options: options)
    }

    /// Times `repeats` batches of `batchSize` after `warmup` batches, with `workers` threads.
    public static func measure(_ dataset: AudioVisualDataset, workers: Int, batchSize: Int = 16, warmup: Int = 3,
                               repeats: Int = 10) throws -> Timing {
        var options = LoaderOptions()
        options.batchSize = batchSize
        options.workers = workers
        options.prefetchBatches = max(3, workers / 4 + 2)
        let loader = try Loader(dataset: dataset, options: options)
        defer { loader.stop() }
        for _ in 0..<warmup { _ = try loader.next() }
        var times: [Double] = []
        var clips = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats {
            let before = DispatchTime.now().uptimeNanoseconds
            clips += try loader.next()?.count ?? 0
            times.append(Double(DispatchTime.now().uptimeNanoseconds - before) / 1e6)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        return Timing(workers: workers, batchSize: batchSize, medianBatchMilliseconds: median, clipsPerSecond: Double(clips) / seconds)
    }

    private static func writeClip(_ path: String, variant: Int, frames: Int) throws {
        let side = 96
        let writer = try MediaWriter(path: path, video: VideoStreamSettings(codec: .h264, width: side, height: side, frameRate: 25, quality: 23),
                                     audio: AudioStreamSettings(codec: .aac, sampleRate: 16_000))
        let noise = MediaRandom(seed: 6, UInt64(variant))
        let pitch = 90 + Double(variant % 16) * 10
        var picture = [UInt8](repeating: 0, count: side * side * 3)
        for t in 0..<frames {
            let opening = 4 + 10 * abs(sin(Double(t) * 0.35 + Double(variant)))
            for y in 0..<side {
                for x in 0..<side {
                    let dx = Double(x - 48) / 26, dy = Double(y - 56) / opening
                    let inMouth = dx * dx + dy * dy < 1
                    let grain = Int(noise.bits(t * side * side + y * side + x) & 15)
                    let skin = [200, 150, 120]
                    for c in 0..<3 { picture[(y * side + x) * 3 + c] = UInt8(inMouth ? 40 + grain : skin[c] - grain + y / 4) }
                }
            }
            try writer.appendFrame(picture)
            let loud = Float(opening / 14)
            try writer.appendAudio((0..<640).map { i in
                let s = Double(t * 640 + i) / 16_000
                return loud * Float(0.3 * sin(2 * Double.pi * pitch * s) + 0.1 * sin(2 * Double.pi * 3 * pitch * s))
                    + 0.01 * noise.normal(1_000_000 + t * 640 + i)
            })
        }
        try writer.finish()
    }
}
