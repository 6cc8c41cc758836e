// The loader's promises: the same (seed, epoch, rank) gives the same batches whatever the number
// of threads; a saved position resumes with exactly the batches that would have come; ranks see
// disjoint samples that cover the dataset; threads end on stop or deinit.
@testable import DuetData
import DuetMedia
import Foundation
import Testing

@Suite struct LoaderTests {
    static func dataset(_ scratch: ScratchFolder, count: Int = 10, mode: DatasetMode = .training) throws -> AudioVisualDataset {
        try AudioVisualDataset(manifest: try TestCorpus.manifest(scratch, count: count), options: TestCorpus.options(mode: mode))
    }

    @Test func batchesHaveTheLayoutsObjectivesRead() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(scratch, count: 5)
        let loader = try Loader(dataset: data, options: TestCorpus.loaderOptions(batch: 4, workers: 1))
        let batches = try TestCorpus.drain(loader)
        #expect(batches.map(\.count) == [4, 1])
        let first = batches[0]
        // 0.6 s: 15 frames of 24² gray, and 9600 samples = 58 filterbank frames of 32 mels.
        #expect(first.audio?.shape == [4, 1, 58, 32])
        #expect(first.video?.shape == [4, 1, 15, 24, 24])
        #expect(first.audioLengths == [58, 58, 58, 58])
        #expect(first.videoLengths == [15, 15, 15, 15])
        #expect(first.audioMask?.scalars.allSatisfy { $0 == 1 } == true)
        #expect(Set(batches.flatMap(\.ids)) == Set((0..<5).map { String(format: "clip%02d", $0) }))
        // Normalised: lip-reading frames centre on 0 rather than 0.5, filterbanks are finite.
        #expect(first.video!.scalars.allSatisfy { $0.isFinite && abs($0) < 4 })
        #expect(first.audio!.scalars.allSatisfy { $0.isFinite })
        #expect(loader.position == LoaderPosition(epoch: 1, batchIndex: 0))
        #expect(loader.reports.map(\.summary) == ["epoch 0: 0 of 5 samples skipped"])
    }

    @Test func shortClipsArePaddedWithLengthsAndMasks() throws {
        let scratch = try ScratchFolder()
        var manifest = try TestCorpus.manifest(scratch, count: 2, seconds: 1)
        try TestCorpus.writeClip(scratch.path("short.mkv"), variant: 9, seconds: 0.4)
        manifest.entries.append(ManifestEntry(id: "short", videoPath: "short.mkv", audioPath: "short.mkv", videoFrames: 10, audioSamples: 6400))
        let data = try AudioVisualDataset(manifest: manifest, options: TestCorpus.options(mode: .evaluation))
        var options = TestCorpus.loaderOptions(batch: 3, workers: 0)
        options.shuffle = false
        let batch = try #require(try Loader(dataset: data, options: options).next())
        #expect(batch.ids == ["clip00", "clip01", "short"])
        #expect(batch.videoLengths == [15, 15, 10])
        #expect(batch.audioLengths == [58, 58, 38])
        let mask = try #require(batch.videoMask)
        #expect(mask.shape == [3, 15])
        #expect(Array(mask.scalars[30..<45]) == Array(repeating: 1, count: 10) + Array(repeating: 0, count: 5))
        let video = batch.video!.scalars, plane = 24 * 24
        // Sample 2's frames 10… are zero padding; frame 9 is a picture.
        #expect(video[(2 * 15 + 10) * plane..<(3 * 15) * plane].allSatisfy { $0 == 0 })
        #expect(video[(2 * 15 + 9) * plane..<(2 * 15 + 10) * plane].contains { $0 != 0 })
    }

    @Test func sameSeedSameBatchesWhateverTheThreads() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(scratch)
        var runs: [[Batch]] = []
        for workers in [1, 2, 0] {
            runs.append(try TestCorpus.drain(try Loader(dataset: data, options: TestCorpus.loaderOptions(batch: 3, workers: workers, epochs: 2))))
        }
        #expect(runs[0].count == 8)
        expectSameBatches(runs[0], runs[1], "1 vs 2 threads")
        expectSameBatches(runs[0], runs[2], "1 thread vs inline")
        // The two epochs are shuffled differently, and another seed gives another order.
        #expect(runs[0][0..<4].flatMap(\.ids) != runs[0][4..<8].flatMap(\.ids))
        let other = try TestCorpus.drain(try Loader(dataset: data, options: TestCorpus.loaderOptions(batch: 3, seed: 8)))
        #expect(other.flatMap(\.ids) != runs[0][0..<4].flatMap(\.ids))
    }

    @Test func evaluationIsTheSameEveryEpoch() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(scratch, count: 4, mode: .evaluation)
        var options = TestCorpus.loaderOptions(batch: 4, workers: 1, epochs: 2)
        options.shuffle = false
        let batches = try TestCorpus.drain(try Loader(dataset: data, options: options))
        #expect(batches[0].ids == batches[1].ids)
        #expect(batches[0].video?.scalars == batches[1].video?.scalars)
        #expect(batches[0].audio?.scalars == batches[1].audio?.scalars)
    }

    @Test func resumingAtASavedPositionContinuesExactly() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(scratch)
        let options = TestCorpus.loaderOptions(batch: 3, workers: 2, epochs: 2)
        let uninterrupted = try TestCorpus.drain(try Loader(dataset: data, options: options))
        #expect(uninterrupted.count == 8)
        for k in [1, 3, 4, 6] {
            let first = try Loader(dataset: data, options: options)
            for _ in 0..<k { _ = try first.next() }
            let saved = try JSONDecoder().decode(LoaderPosition.self, from: try JSONEncoder().encode(first.position))
            first.stop()
            let resumed = try TestCorpus.drain(try Loader(dataset: data, options: options, resumingAt: saved))
            expectSameBatches(Array(uninterrupted[k...]), resumed, "resumed after \(k)")
        }
        // seek(to:) does the same on a live loader.
        let loader = try Loader(dataset: data, options: options)
        _ = try loader.next()
        try loader.seek(to: LoaderPosition(epoch: 1, batchIndex: 2))
        expectSameBatches(Array(uninterrupted[6...]), try TestCorpus.drain(loader), "seek")
        #expect(throws: DataError.self) { try Loader(dataset: data, options: options, resumingAt: LoaderPosition(epoch: 0, batchIndex: 9)) }
    }

    @Test func ranksAreDisjointAndCoverTheDataset() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(scratch, count: 11)
        for world in [2, 3] {
            var seen: [[String]] = []
            for rank in 0..<world {
                var options = TestCorpus.loaderOptions(batch: 2, workers: 1)
                (options.rank, options.worldSize) = (rank, world)
                seen.append(try TestCorpus.drain(try Loader(dataset: data, options: options)).flatMap(\.ids))
            }
            let all = seen.flatMap { $0 }
            #expect(all.count == 11 && Set(all).count == 11, "world \(world): \(seen)")
            #expect(seen.map(\.count).max()! - seen.map(\.count).min()! <= 1)
        }
    }

    @Test func bucketingGroupsSimilarLengthsDeterministically() throws {
        var entries: [ManifestEntry] = []
        for i in 0..<40 { entries.append(ManifestEntry(id: "c\(i)", videoPath: "c.mkv", audioPath: "c.mkv", videoFrames: 10, audioSamples: (i * 7919) % 40)) }
        let manifest = Manifest(root: "/r", kind: .audioVisual, entries: entries)
        var options = TestCorpus.loaderOptions(batch: 4)
        options.bucketing = Bucketing(poolBatches: 10)
        let plan = EpochPlan.batches(epoch: 3, count: 40, lengths: { manifest.entries[$0].audioSamples }, options: options)
        #expect(plan == EpochPlan.batches(epoch: 3, count: 40, lengths: { manifest.entries[$0].audioSamples }, options: options))
        #expect(Set(plan.flatMap { $0 }).count == 40)
        // Within one pool of 40, each batch spans 4 consecutive lengths.
        for batch in plan {
            let lengths = batch.map { manifest.entries[$0].audioSamples }
            #expect(lengths.max()! - lengths.min()! == 3, "\(lengths)")
        }
        #expect(plan.map { $0.map { manifest.entries[$0].audioSamples }.min()! } != Array(stride(from: 0, to: 40, by: 4)))
    }

    @Test func stopAndDeinitEndEveryThread() throws {
        let scratch = try ScratchFolder()
        let data = try Self.dataset(scratch, count: 6)
        var options = TestCorpus.loaderOptions(batch: 2, workers: 3, epochs: nil)
        options.prefetchBatches = 2
        let finished = try finishing(within: 20, "stop") { [options] in
            let loader = try Loader(dataset: data, options: options)
            _ = try loader.next()
            let queue = loader.queueForTesting
            #expect(queue.workerCount == 3)
            loader.stop()
            #expect(queue.workerCount == 0)
            #expect(try loader.next() == nil)
            // A loader dropped mid-epoch, its threads waiting on a full queue, ends them too.
            var dropped: Loader? = try Loader(dataset: data, options: options)
            _ = try dropped!.next()
            Thread.sleep(forTimeInterval: 0.2)
            let other = dropped!.queueForTesting
            dropped = nil
            return other.workerCount
        }
        #expect(finished == 0)
    }
}
