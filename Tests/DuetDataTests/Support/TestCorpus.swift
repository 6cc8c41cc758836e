// Tiny media the data tests write with Duet's own writer (FFV1 + PCM in Matroska, lossless and
// quick), the manifests over them, the bad files a loader must survive, and a time-out guard.
import DuetData
import DuetMedia
import Foundation
import Testing

/// A temporary folder removed when the value goes away.
final class ScratchFolder: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("duet-data-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

enum TestCorpus {
    static let side = 32
    static let rate = 16_000

    /// Writes `name`: `seconds` of 25 fps gray frames (a gradient moving at a speed of its own)
    /// and a tone whose pitch depends on `variant`; `audio: false` leaves the sound out.
    static func writeClip(_ path: String, variant: Int, seconds: Double = 1, audio: Bool = true) throws {
        let frames = Int(seconds * 25)
        let writer = try MediaWriter(path: path,
                                     video: VideoStreamSettings(codec: .ffv1, width: side, height: side, frameRate: 25, input: .gray),
                                     audio: audio ? AudioStreamSettings(codec: .pcm16, sampleRate: rate) : nil)
        let perFrame = rate / 25
        for t in 0..<frames {
            var picture = [UInt8](repeating: 0, count: side * side)
            for y in 0..<side { for x in 0..<side { picture[y * side + x] = UInt8((x * 5 + y * 3 + t * (variant + 1) * 4 + variant * 37) & 255) } }
            try writer.appendFrame(picture)
            if audio {
                let frequency = 150 + 40 * Double(variant)
                try writer.appendAudio((0..<perFrame).map { Float(0.4 * sin(2 * Double.pi * frequency * Double(t * perFrame + $0) / Double(rate))) })
            }
        }
        try writer.finish()
    }

    /// `count` good clips `clip00.mkv`… in `folder`, and the AV manifest listing them (ids
    /// `clip00`…, audio in the same file).
    static func manifest(_ folder: ScratchFolder, count: Int, seconds: Double = 1) throws -> Manifest {
        var entries: [ManifestEntry] = []
        for i in 0..<count {
            let name = String(format: "clip%02d.mkv", i)
            try writeClip(folder.path(name), variant: i, seconds: seconds)
            entries.append(ManifestEntry(id: String(name.dropLast(4)), videoPath: name, audioPath: name,
                                         videoFrames: Int(seconds * 25), audioSamples: Int(seconds * Double(rate))))
        }
        let manifest = Manifest(root: folder.path, kind: .audioVisual, entries: entries, file: folder.path("train.tsv"))
        try manifest.write(to: folder.path("train.tsv"))
        return manifest
    }

    /// Small, fast dataset options: 0.6 s windows, gray 32² frames cut to 24², 32 mels.
    static func options(mode: DatasetMode = .training, seconds: Double = 0.6) -> DatasetOptions {
        var o = DatasetOptions()
        o.mode = mode
        o.clipSeconds = seconds
        o.mels = 32
        o.video = .gray(size: 32, crop: 24)
        o.augmentation.videoTimeMasks = 1
        o.augmentation.videoMaskFrames = 3
        o.augmentation.specTimeMasks = 1
        o.augmentation.specTimeWidth = 5
        return o
    }

    static func loaderOptions(batch: Int = 4, workers: Int = 2, seed: UInt64 = 7, epochs: Int? = 1) -> LoaderOptions {
        var o = LoaderOptions()
        o.batchSize = batch
        o.workers = workers
        o.seed = seed
        o.epochs = epochs
        return o
    }

    /// Every batch a loader gives until it ends.
    static func drain(_ loader: Loader, limit: Int = 1_000) throws -> [Batch] {
        var batches: [Batch] = []
        while batches.count < limit, let batch = try loader.next() { batches.append(batch) }
        return batches
    }
}

/// Runs `body` on its own thread and records an issue when it has not finished after `seconds`
/// (the thread is then abandoned, so a hang fails the test instead of stalling the suite).
func finishing<T: Sendable>(within seconds: Double, _ what: String, _ body: @escaping @Sendable () throws -> T) throws -> T? {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Thread {
        outcome.value = Result { try body() }
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + seconds) == .success else {
        Issue.record("\(what) did not finish within \(seconds) s")
        return nil
    }
    return try outcome.value!.get()
}

/// Written by the thread `finishing` starts, read after its semaphore.
private final class Outcome<T>: @unchecked Sendable {
    var value: Result<T, Error>?
}

/// Two batches hold the same samples and the same values.
func expectSameBatches(_ a: [Batch], _ b: [Batch], _ note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(note): \(a.count) vs \(b.count) batches", sourceLocation: sourceLocation)
    for (x, y) in zip(a, b) {
        #expect(x.position == y.position, "\(note)", sourceLocation: sourceLocation)
        #expect(x.ids == y.ids, "\(note) at \(x.position)", sourceLocation: sourceLocation)
        #expect(x.audio?.scalars == y.audio?.scalars, "\(note): audio differs at \(x.position)", sourceLocation: sourceLocation)
        #expect(x.video?.scalars == y.video?.scalars, "\(note): video differs at \(x.position)", sourceLocation: sourceLocation)
        #expect(x.audioLengths == y.audioLengths && x.videoLengths == y.videoLengths, "\(note)", sourceLocation: sourceLocation)
    }
}
