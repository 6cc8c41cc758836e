// `duet data index|check|stats` as library calls: a folder becomes a manifest, a manifest's bad
// entries are found with their reasons, filterbank statistics match a direct computation.
import DuetData
import DuetMedia
import Foundation
import Testing

@Suite struct ManifestToolsTests {
    @Test func indexProbesAFolderIntoAManifest() throws {
        let scratch = try ScratchFolder()
        try FileManager.default.createDirectory(atPath: scratch.path("spk1"), withIntermediateDirectories: true)
        try TestCorpus.writeClip(scratch.path("spk1/a.mkv"), variant: 0)
        try TestCorpus.writeClip(scratch.path("spk1/b.mkv"), variant: 1, seconds: 0.4)
        // A silent video with its sound beside it, a lone WAV, a broken file and a text file.
        try TestCorpus.writeClip(scratch.path("c.mkv"), variant: 2, audio: false)
        for name in ["c.wav", "lone.wav"] {
            let writer = try MediaWriter(path: scratch.path(name), audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000))
            try writer.appendAudio([Float](repeating: 0.1, count: 16_000))
            try writer.finish()
        }
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: scratch.path("broken.mp4")))
        try "notes".write(toFile: scratch.path("notes.txt"), atomically: true, encoding: .utf8)

        let (manifest, rejects) = try ManifestIndexer.index(folder: scratch.path, threads: 2)
        #expect(manifest.kind == .audioVisual && manifest.root == scratch.url.standardizedFileURL.path)
        #expect(manifest.entries.map(\.id) == ["c", "spk1/a", "spk1/b"])
        #expect(manifest.entries[0].audioPath == "c.wav" && manifest.entries[0].videoPath == "c.mkv")
        #expect(manifest.entries[1].videoFrames == 25 && manifest.entries[1].audioSamples == 16_000)
        #expect(manifest.entries[2].videoFrames == 10)
        #expect(Dictionary(uniqueKeysWithValues: rejects.map { (($0.file as NSString).lastPathComponent, $0.reason) })
                == ["broken.mp4": "unreadable", "lone.wav": "no-stream"])

        let (audioOnly, _) = try ManifestIndexer.index(folder: scratch.path, modalities: .audio, threads: 1)
        #expect(audioOnly.kind == .audioOnly)
        #expect(audioOnly.entries.map(\.audioPath) == ["c.wav", "lone.wav", "spk1/a.mkv", "spk1/b.mkv"])
        let written = scratch.path("all.tsv")
        try manifest.write(to: written)
        #expect(try Manifest.load(contentsOf: written).entries == manifest.entries)
    }

    @Test func checkFindsEveryBadEntryWithItsReason() throws {
        let scratch = try ScratchFolder()
        let manifest = try BadFileTests.mixedManifest(scratch)
        let probed = ManifestChecker.check(manifest, threads: 2)
        // Probing cannot see the truncation; decoding does.
        #expect(Dictionary(uniqueKeysWithValues: probed.map { ($0.id!, $0.reason) }) == ["random": "unreadable", "missing": "not-found", "silent": "no-stream"])
        let decoded = ManifestChecker.check(manifest, decode: true, threads: 2)
        #expect(Dictionary(uniqueKeysWithValues: decoded.map { ($0.id!, $0.reason) }) == BadFileTests.expectedReasons)
        #expect(decoded.map(\.index!) == [4, 5, 6, 7])
        #expect(ManifestChecker.check(manifest, modalities: .video, threads: 1).map(\.id!) == ["random", "missing"])
    }

    @Test func statsPoolEveryFilterbankValue() throws {
        let scratch = try ScratchFolder()
        let manifest = try TestCorpus.manifest(scratch, count: 3)
        var options = KaldiFbankOptions.audioMAE
        options.melBins = 32
        let (stats, rejects) = try FbankStats.compute(manifest, fbank: options, threads: 2)
        #expect(rejects.isEmpty)
        var all: [Double] = []
        for i in 0..<3 {
            all += try KaldiFbank(options)(try MediaReader(path: manifest.audioFile(i)).audio(sampleRate: 16_000)).values.map(Double.init)
        }
        let mean = all.reduce(0, +) / Double(all.count)
        let std = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(all.count - 1)).squareRoot()
        #expect(abs(stats.mean - mean) < 1e-6 * abs(mean) && abs(stats.std - std) < 1e-6 * std)
        #expect(stats.files == 3 && stats.frames == all.count / 32 && stats.mels == 32)
        let path = scratch.path("stats.json")
        try stats.write(to: path)
        #expect(try FbankStats.load(contentsOf: path) == stats)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"sample_rate\" : 16000"))
        let (subset, _) = try FbankStats.compute(manifest, fbank: options, maxFiles: 2, threads: 1)
        #expect(subset.files == 2)
    }
}
