// Manifests and label files: both TSV layouts parse and round-trip, and every malformed line is
// an error naming the file and the line.
import DuetData
import Foundation
import Testing

@Suite struct ManifestTests {
    static let avText = "/data/lrs3\ntrainval/a/00001\ttrainval/a/00001.mp4\ttrainval/a/00001.wav\t52\t33280\n"
        + "trainval/b/00002\t/abs/b.mp4\t/abs/b.mp4\t75\t48000\n"

    @Test func audioVisualLayoutParsesAndResolvesPaths() throws {
        let m = try Manifest.parse(Self.avText, file: "train.tsv")
        #expect(m.kind == .audioVisual)
        #expect(m.root == "/data/lrs3")
        #expect(m.count == 2)
        #expect(m.entries[0] == ManifestEntry(id: "trainval/a/00001", videoPath: "trainval/a/00001.mp4",
                                              audioPath: "trainval/a/00001.wav", videoFrames: 52, audioSamples: 33280))
        #expect(m.videoFile(0) == "/data/lrs3/trainval/a/00001.mp4")
        #expect(m.audioFile(0) == "/data/lrs3/trainval/a/00001.wav")
        // Absolute paths stay as they are (os.path.join), audio may be the video file itself.
        #expect(m.videoFile(1) == "/abs/b.mp4")
        #expect(m.audioFile(1) == m.videoFile(1))
        #expect(try Manifest.parse(m.text(), file: "again.tsv").entries == m.entries)
    }

    @Test func audioOnlyLayoutParsesAsWav2vec() throws {
        let m = try Manifest.parse("/data/ls\r\nspk1/a.flac\t16000\r\nspk2/b.flac\t23760\r\n\r\n", file: "train.tsv")
        #expect(m.kind == .audioOnly)
        #expect(m.entries.map(\.id) == ["spk1/a.flac", "spk2/b.flac"])
        #expect(m.entries[1].audioSamples == 23760)
        #expect(m.entries[1].videoPath == nil)
        #expect(m.audioFile(0) == "/data/ls/spk1/a.flac")
        #expect(m.text() == "/data/ls\nspk1/a.flac\t16000\nspk2/b.flac\t23760\n")
    }

    @Test func rootOnlyIsAnEmptyManifest() throws {
        #expect(try Manifest.parse("/data\n").count == 0)
    }

    @Test(arguments: [
        ("", 1, "root folder"),
        ("/r\ta\t1\n", 1, "root folder alone"),
        ("/r\na\tv.mp4\ta.wav\t10\n", 2, "found 4"),
        ("/r\na v.mp4 a.wav 10 160\n", 2, "spaces, not tabs"),
        ("/r\na\tv.mp4\ta.wav\tten\t160\n", 2, "n_video_frames must be a whole number"),
        ("/r\na\tv.mp4\ta.wav\t10\t-5\n", 2, "n_audio_samples must be a whole number"),
        ("/r\nx.wav\t1.5\n", 2, "n_samples"),
        ("/r\na\tv.mp4\ta.wav\t10\t160\nb.wav\t160\n", 3, "as the lines above"),
        ("/r\na\tv.mp4\ta.wav\t10\t160\n\nb\tv.mp4\ta.wav\t10\t160\n", 3, "empty line"),
        ("/r\na\t\ta.wav\t10\t160\n", 2, "video_path is empty"),
    ])
    func malformedLinesNameFileAndLine(text: String, line: Int, reason: String) {
        do {
            _ = try Manifest.parse(text, file: "bad.tsv")
            Issue.record("parsed: \(text.debugDescription)")
        } catch {
            guard case let .malformed(file, l, why) = error else { Issue.record("\(error)"); return }
            #expect(file == "bad.tsv")
            #expect(l == line, "\(error)")
            #expect(why.contains(reason), "\(error)")
            #expect(error.description.hasPrefix("bad.tsv:\(line): "))
        }
    }

    @Test func missingManifestIsAnIOError() {
        #expect(throws: DataError.io(file: "/nonexistent/x.tsv", reason: "no such file")) {
            try Manifest.load(contentsOf: "/nonexistent/x.tsv")
        }
    }

    @Test func labelFilesAndVocabulary() throws {
        let scratch = try ScratchFolder()
        let manifestPath = scratch.path("train.tsv")
        try "/r\na.wav\t10\nb.wav\t10\nc.wav\t10\n".write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let manifest = try Manifest.load(contentsOf: manifestPath)
        let wrdPath = LabelFile.path(besideManifest: manifestPath, extension: "wrd")
        #expect(wrdPath == scratch.path("train.wrd"))
        try "hello world\nhello there\nsay hello\n".write(toFile: wrdPath, atomically: true, encoding: .utf8)
        let words = try LabelFile.load(contentsOf: wrdPath, entries: manifest.count)
        #expect(words.kind == .words)
        #expect(words.symbols(1) == ["hello", "there"])

        let built = Vocabulary.building(from: words)
        #expect(built.symbols == ["hello", "say", "there", "world"])
        let dictPath = scratch.path("dict.wrd.txt")
        try "hello 3\nworld 1\n<unk> 0\n".write(toFile: dictPath, atomically: true, encoding: .utf8)
        let vocabulary = try Vocabulary.load(contentsOf: dictPath)
        let encoded = try LabelSet(words, vocabulary: vocabulary).encoded
        #expect(encoded == [[0, 1], [0, 2], [2, 0]])

        // Without <unk>, an unknown word names the label file and its line.
        #expect(throws: DataError.malformed(file: wrdPath, line: 2, reason: "'there' is not in the vocabulary (and it has no <unk>)")) {
            try LabelSet(words, vocabulary: Vocabulary(symbols: ["hello", "world", "say"]))
        }
        #expect(throws: DataError.labelCountMismatch(file: wrdPath, labels: 3, entries: 4)) {
            try LabelFile.load(contentsOf: wrdPath, entries: 4)
        }

        let lblPath = scratch.path("train.lbl")
        try "2\n0\n1\n".write(toFile: lblPath, atomically: true, encoding: .utf8)
        let classes = try LabelFile.load(contentsOf: lblPath, entries: 3)
        #expect(try LabelSet(classes, vocabulary: nil).encoded == [[2], [0], [1]])
        // Indices into a vocabulary of words, as the synthetic corpus writes them.
        #expect(try LabelSet(classes, vocabulary: Vocabulary(symbols: ["a", "b", "c"])).encoded == [[2], [0], [1]])
        #expect(throws: DataError.self) { try LabelSet(classes, vocabulary: Vocabulary(symbols: ["a", "b"])) }
        try "cat\n\ndog\n".write(toFile: lblPath, atomically: true, encoding: .utf8)
        #expect(throws: DataError.malformed(file: lblPath, line: 2, reason: "empty class label")) {
            try LabelFile.load(contentsOf: lblPath)
        }
        try "a 1\na 2\n".write(toFile: dictPath, atomically: true, encoding: .utf8)
        #expect(throws: DataError.malformed(file: dictPath, line: 2, reason: "'a' is already on line 1")) {
            try Vocabulary.load(contentsOf: dictPath)
        }
    }
}
