// The dataset: modes (audio-visual, audio-only, video-only, RGB), random windows and crops keyed
// by (seed, epoch, index) only, centred evaluation windows, separate audio files.
import DuetData
import DuetMedia
import Foundation
import Testing

@Suite struct DatasetTests {
    @Test func samplesDependOnlyOnSeedEpochAndIndex() throws {
        let scratch = try ScratchFolder()
        let data = try AudioVisualDataset(manifest: try TestCorpus.manifest(scratch, count: 2), options: TestCorpus.options())
        let a = data.makeReader(), b = data.makeReader()
        _ = try b.sample(1, epoch: 0, seed: 3)  // what a reader did before does not matter
        let first = try a.sample(0, epoch: 4, seed: 3)
        let again = try b.sample(0, epoch: 4, seed: 3)
        #expect(first.start == again.start)
        #expect(first.video == again.video && first.audio == again.audio)
        let starts = Set(try (0..<12).map { try a.sample(0, epoch: $0, seed: 3).start })
        #expect(starts.count > 3, "random windows: \(starts)")
        #expect(starts.allSatisfy { $0 >= 0 && $0 <= 0.4 + 1e-9 && abs($0 * 25 - ($0 * 25).rounded()) < 1e-6 })
        let videos = Set(try (0..<12).map { try a.sample(0, epoch: $0, seed: 3).video!.values.prefix(64) })
        #expect(videos.count > 3)
    }

    /// The dataset's one-pass crop and flip draw and cut as DuetMedia's crop and flip do.
    @Test func trainingCropAndFlipMatchTheMediaAugmentations() throws {
        let scratch = try ScratchFolder()
        let manifest = try TestCorpus.manifest(scratch, count: 1)
        var options = TestCorpus.options()
        options.augmentation = Augmentation()
        let reader = try AudioVisualDataset(manifest: manifest, options: options).makeReader()
        var flips = 0
        for epoch in 0..<8 {
            let s = try reader.sample(0, epoch: epoch, seed: 11)
            let random = MediaRandom(seed: 11, UInt64(epoch), 0)
            let whole = try MediaReader(path: manifest.videoFile(0)!).video(
                VideoOptions(frameRate: 25, size: FrameSize(width: 32, height: 32), pixelFormat: .gray, normalization: .lipReading),
                window: TimeWindow(start: s.start, duration: 0.6))
            let cropped = try whole.randomlyCropped(width: 24, height: 24, random: random.derived(2))
            let expected = cropped.randomlyFlipped(probability: 0.5, random: random.derived(3))
            #expect(s.video?.values == expected.values, "epoch \(epoch)")
            if expected.values != cropped.values { flips += 1 }
        }
        #expect(flips > 0 && flips < 8)
    }

    @Test func evaluationTakesTheCentreWithoutAugmentation() throws {
        let scratch = try ScratchFolder()
        let manifest = try TestCorpus.manifest(scratch, count: 1)
        let data = try AudioVisualDataset(manifest: manifest, options: TestCorpus.options(mode: .evaluation))
        let s = try data.makeReader().sample(0, epoch: 0, seed: 0)
        #expect(s.start == 0.2)
        #expect(s.video?.shape == [15, 1, 24, 24])
        #expect(try data.makeReader().sample(0, epoch: 9, seed: 5).video == s.video)
        // The centre 24² of the 32² frames, normalised as lip reading does.
        let whole = try MediaReader(path: manifest.videoFile(0)!).video(
            VideoOptions(frameRate: 25, size: FrameSize(width: 32, height: 32), pixelFormat: .gray, normalization: .lipReading),
            window: TimeWindow(start: 0.2, duration: 0.6))
        #expect(try whole.centerCropped(width: 24, height: 24).values == s.video?.values)

        // data.video_norm clip_mean: the same centre crop, each pixel's mean over the clip removed.
        var centring = TestCorpus.options(mode: .evaluation)
        centring.video.centredOverTime = true
        let centred = try AudioVisualDataset(manifest: manifest, options: centring).makeReader().sample(0, epoch: 0, seed: 0)
        #expect(centred.video == s.video?.centredOverTime())
        #expect(centred.video != s.video)
    }

    @Test func audioOnlyVideoOnlyAndRGB() throws {
        let scratch = try ScratchFolder()
        let manifest = try TestCorpus.manifest(scratch, count: 2)
        var options = TestCorpus.options(mode: .evaluation)
        options.modalities = .audio
        let audio = try AudioVisualDataset(manifest: manifest, options: options)
        var loaderOptions = TestCorpus.loaderOptions(batch: 2, workers: 0)
        let audioBatch = try #require(try Loader(dataset: audio, options: loaderOptions).next())
        #expect(audioBatch.video == nil && audioBatch.videoLengths == nil)
        #expect(audioBatch.audio?.shape == [2, 1, 58, 32])

        options.modalities = .video
        options.video = .rgb(size: 20, crop: 16)
        let video = try AudioVisualDataset(manifest: manifest, options: options)
        let videoBatch = try #require(try Loader(dataset: video, options: loaderOptions).next())
        #expect(videoBatch.audio == nil)
        #expect(videoBatch.video?.shape == [2, 3, 15, 16, 16])

        // A wav2vec manifest over WAV files, with labels.
        for i in 0..<3 {
            let writer = try MediaWriter(path: scratch.path("a\(i).wav"), audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000))
            try writer.appendAudio((0..<(8_000 + 4_000 * i)).map { Float(sin(Double($0) * 0.05 * Double(i + 1))) * 0.3 })
            try writer.finish()
        }
        let wav2vec = try Manifest.parse("\(scratch.path)\na0.wav\t8000\na1.wav\t12000\na2.wav\t16000\n", file: "audio.tsv")
        options.modalities = .audio
        options.clipSeconds = 1
        let labels = try LabelSet(LabelFile(file: "audio.lbl", kind: .classes, lines: ["no", "yes", "no"]),
                                  vocabulary: Vocabulary(symbols: ["no", "yes"]))
        let speech = try AudioVisualDataset(manifest: wav2vec, options: options, labels: labels)
        loaderOptions.batchSize = 3
        loaderOptions.shuffle = false
        let speechBatch = try #require(try Loader(dataset: speech, options: loaderOptions).next())
        #expect(speechBatch.audioLengths == [48, 73, 98])
        #expect(speechBatch.audio?.shape == [3, 1, 98, 32])
        #expect(speechBatch.labels == [[0], [1], [0]])
        #expect(speechBatch.ids == ["a0.wav", "a1.wav", "a2.wav"])
        // An audio-only manifest cannot feed video.
        options.modalities = .audioVisual
        #expect(throws: DataError.self) { try AudioVisualDataset(manifest: wav2vec, options: options) }
    }

    @Test func separateAudioFilesAlignWithTheVideo() throws {
        let scratch = try ScratchFolder()
        try TestCorpus.writeClip(scratch.path("v.mkv"), variant: 1, audio: false)
        let writer = try MediaWriter(path: scratch.path("v.wav"), audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000))
        try writer.appendAudio((0..<16_000).map { Float($0 % 100) / 400 })
        try writer.finish()
        let manifest = try Manifest.parse("\(scratch.path)\nv\tv.mkv\tv.wav\t25\t16000\n")
        let data = try AudioVisualDataset(manifest: manifest, options: TestCorpus.options(mode: .evaluation))
        let s = try data.makeReader().sample(0, epoch: 0, seed: 0)
        #expect(s.videoLength == 15 && s.audioLength == 58)
    }

    @Test func badOptionsAreNamed() throws {
        let manifest = Manifest(root: "/r", kind: .audioVisual, entries: [])
        var options = DatasetOptions()
        options.clipSeconds = 0
        #expect(throws: DataError.invalidOption(name: "clip_seconds", reason: "must be > 0 (got 0.0)")) {
            try AudioVisualDataset(manifest: manifest, options: options)
        }
        options = DatasetOptions()
        options.video = VideoFormat(pixelFormat: .gray, size: FrameSize(width: 80, height: 80), crop: FrameSize(width: 88, height: 88),
                                    normalization: .lipReading)
        #expect(throws: DataError.self) { try AudioVisualDataset(manifest: manifest, options: options) }
        let data = try AudioVisualDataset(manifest: manifest)
        #expect(throws: DataError.self) { try Loader(dataset: data) }
    }
}
