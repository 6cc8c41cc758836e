// Bad files: a manifest mixing good clips with a truncated file, random bytes, a missing path and
// a file without audio runs through, skips exactly those with their reasons, never hangs; `.fail`
// stops at the first; too many skips stop with the list.
import DuetData
import DuetMedia
import Foundation
import Testing

@Suite struct BadFileTests {
    /// 8 good 1 s clips and the four bad ones, in manifest order good0-3, bad×4, good4-7.
    static func mixedManifest(_ scratch: ScratchFolder) throws -> Manifest {
        var manifest = try TestCorpus.manifest(scratch, count: 8)
        let good = try Data(contentsOf: URL(fileURLWithPath: scratch.path("clip00.mkv")))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: scratch.path("truncated.mkv")))
        let random = MediaRandom(seed: 5)
        try Data((0..<20_000).map { UInt8(truncatingIfNeeded: random.bits($0)) }).write(to: URL(fileURLWithPath: scratch.path("random.mp4")))
        try TestCorpus.writeClip(scratch.path("silent.mkv"), variant: 3, audio: false)
        let bad = ["truncated.mkv", "random.mp4", "missing.mkv", "silent.mkv"].map {
            ManifestEntry(id: String($0.split(separator: ".")[0]), videoPath: $0, audioPath: $0, videoFrames: 25, audioSamples: 16_000)
        }
        manifest.entries.insert(contentsOf: bad, at: 4)
        return manifest
    }

    static let expectedReasons = ["truncated": "truncated", "random": "unreadable", "missing": "not-found", "silent": "no-stream"]

    /// 1 s windows over 1 s files: the truncated file's missing half is always in the window.
    static func dataset(_ manifest: Manifest) throws -> AudioVisualDataset {
        try AudioVisualDataset(manifest: manifest, options: TestCorpus.options(mode: .training, seconds: 1))
    }

    @Test(arguments: [1, 2, 0])
    func skipsExactlyTheBadFilesAndSaysWhy(workers: Int) throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(try Self.mixedManifest(scratch))
        var options = TestCorpus.loaderOptions(batch: 3, workers: workers, epochs: 2)
        options.maxBadFraction = 0.5
        let result = try finishing(within: 20, "the loader over bad files") { [options] () -> ([Batch], [EpochReport]) in
            let loader = try Loader(dataset: data, options: options)
            var ended: [EpochReport] = []
            loader.onEpochEnd = { ended.append($0) }
            return (try TestCorpus.drain(loader), ended)
        }
        guard let (batches, reports) = result else { return }
        #expect(batches.count == 8, "4 batches of 3 slots per epoch, none all bad")
        let goodIDs = (0..<8).map { String(format: "clip%02d", $0) }
        for epoch in 0..<2 {
            let ids = batches.filter { $0.position.epoch == epoch }.flatMap(\.ids)
            #expect(ids.sorted() == goodIDs)
            let report = reports[epoch]
            #expect(report.samples == 12)
            #expect(Dictionary(uniqueKeysWithValues: report.failures.map { ($0.id, $0.reason) }) == Self.expectedReasons)
            #expect(report.countsByReason == ["truncated": 1, "unreadable": 1, "not-found": 1, "no-stream": 1])
            for failure in report.failures {
                #expect(failure.message.contains(failure.file) && failure.file.hasSuffix(failure.id + "." + (failure.file as NSString).pathExtension))
            }
            #expect(report.summary == "epoch \(epoch): 4 of 12 samples skipped (no-stream 1, not-found 1, truncated 1, unreadable 1)")
        }
        // Every batch keeps its full shape; a batch with a bad slot is smaller, never empty.
        #expect(batches.allSatisfy { $0.count + $0.failures.count == 3 && $0.count > 0 })
        #expect(batches.allSatisfy { $0.video?.shape[0] == $0.count && $0.audio?.shape[0] == $0.count })
    }

    @Test func failPolicyThrowsOnTheFirst() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(try Self.mixedManifest(scratch))
        var options = TestCorpus.loaderOptions(batch: 3, workers: 2)
        options.shuffle = false
        options.onBadFile = .fail
        let thrown = try finishing(within: 20, "the failing loader") { [options] () -> (Int, DataError?) in
            let loader = try Loader(dataset: data, options: options)
            var good = 0
            do {
                while let batch = try loader.next() { good += batch.count }
                return (good, nil)
            } catch let error as DataError {
                // The loader stays stopped, repeating the error.
                #expect(throws: error) { try loader.next() }
                return (good, error)
            }
        }
        guard let (good, error) = thrown else { return }
        // Batch 0 is clip00-02, batch 1 holds clip03, truncated, random: truncated is the first.
        #expect(good == 3)
        guard case let .badFile(id, mediaError)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(id == "truncated")
        #expect(mediaError.reasonCode == "truncated")
        #expect(error!.description.contains(scratch.path("truncated.mkv")))
    }

    @Test func tooManyBadFilesStopWithTheList() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(try Self.mixedManifest(scratch))
        var options = TestCorpus.loaderOptions(batch: 3, workers: 2)
        options.shuffle = false
        options.maxBadFraction = 0.2  // 2 of 12 allowed: the third bad file stops the epoch
        let thrown = try finishing(within: 20, "the loader over too many bad files") { [options] () -> DataError? in
            let loader = try Loader(dataset: data, options: options)
            do {
                _ = try TestCorpus.drain(loader)
                return nil
            } catch let error as DataError {
                return error
            }
        }
        guard case let .tooManyBadFiles(epoch, allowed, samples, failures)?? = thrown else {
            Issue.record("\(String(describing: thrown))")
            return
        }
        #expect((epoch, allowed, samples) == (0, 2, 12))
        // Counted a batch at a time: batch 2 (missing, silent, clip04) takes it past the limit.
        #expect(failures.map { $0.id } == ["truncated", "random", "missing", "silent"])
        let message = DataError.tooManyBadFiles(epoch: epoch, allowed: allowed, samples: samples, failures: failures).description
        #expect(message.contains(scratch.path("missing.mkv")) && message.contains("not-found"))
    }
}
