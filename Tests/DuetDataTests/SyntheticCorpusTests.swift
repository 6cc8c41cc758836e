// The synthetic corpus: the same seed gives the same bytes, manifests agree with what the reader
// finds in the files, p/b/m (and f/v, t/d/n) look the same and sound different, and a simple
// classifier recovers words from audio and from video of unseen speakers.
import DuetData
import DuetMedia
import Foundation
import Testing

/// A fresh path in the temporary folder (the corpus writer creates it); the caller removes it.
func synthScratchPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("duet-synth-\(UUID().uuidString)").path
}

private func tinyOptions(speakers: Int = 2, clips: Int = 2, seed: UInt64 = 0) -> SyntheticCorpusOptions {
    var options = SyntheticCorpusOptions()
    options.speakers = speakers
    options.clipsPerSpeaker = clips
    options.seed = seed
    options.sentenceFraction = 0.5
    return options
}

/// Every file under `folder`, relative path → bytes.
private func contents(of folder: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let root = URL(fileURLWithPath: folder)
    let paths = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
    for relative in paths {
        var isDirectory: ObjCBool = false
        let path = root.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
        }
    }
    return files
}

private func lines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

@Suite struct SyntheticCorpusTests {
    @Test func sameSeedRendersTheSameFramesAndSound() throws {
        let a = try SyntheticCorpus(tinyOptions()), b = try SyntheticCorpus(tinyOptions())
        for speaker in 0..<2 {
            for clip in 0..<2 {
                let first = a.render(speaker: speaker, clip: clip), second = b.render(speaker: speaker, clip: clip)
                #expect(first.frames == second.frames && first.audio == second.audio && first.words == second.words)
            }
        }
    }

    @Test func sameSeedGivesSameFiles() throws {
        let scratch = synthScratchPath()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let corpus = try SyntheticCorpus(tinyOptions())
        try corpus.write(to: scratch + "/a", threads: 2)
        try corpus.write(to: scratch + "/b", threads: 1)
        let a = try contents(of: scratch + "/a"), b = try contents(of: scratch + "/b")
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.filter { $0.hasSuffix(".mp4") }.count == 4)
        for (name, bytes) in a {
            guard let other = b[name] else { continue }
            if name.hasSuffix(".tsv") {
                // Only the root line differs: it names the folder.
                let first = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let second = String(decoding: other, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                #expect(first.dropFirst() == second.dropFirst(), "\(name)")
            } else {
                #expect(bytes == other, "\(name) differs between two runs with the same seed")
            }
        }
        let reseeded = try SyntheticCorpus(tinyOptions(seed: 1))
        try reseeded.write(to: scratch + "/c")
        let c = try contents(of: scratch + "/c")
        #expect(c["clips/s00/000.mp4"] != a["clips/s00/000.mp4"])
    }

    @Test func manifestsAgreeWithTheFiles() throws {
        let folder = synthScratchPath()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let corpus = try SyntheticCorpus(tinyOptions(speakers: 3, clips: 3))
        let summary = try corpus.write(to: folder)
        #expect(summary.clips.count == 9)
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let vocabulary = try lines(folder + "/vocab.txt")
        #expect(vocabulary == SyntheticWord.vocabulary.map(\.text))
        #expect(try lines(folder + "/phonemes.txt").count == Phoneme.inventory.count)
        var speakersBySplit: [String: Set<String>] = [:]
        var listed = 0
        for split in ["train", "valid", "test"] {
            for (name, labelled) in [(split, false), ("words-" + split, true), ("sentences-" + split, false)] {
                let tsv = try lines("\(folder)/\(name).tsv")
                #expect(tsv.first == root, "\(name).tsv starts with the root folder")
                let rows = tsv.dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
                let wrd = try lines("\(folder)/\(name).wrd"), phn = try lines("\(folder)/\(name).phn")
                #expect(wrd.count == rows.count && phn.count == rows.count)
                #expect(FileManager.default.fileExists(atPath: "\(folder)/\(name).lbl") == labelled)
                let labels = labelled ? try lines("\(folder)/\(name).lbl") : []
                for (i, row) in rows.enumerated() {
                    try #require(row.count == 5, "\(name).tsv line \(i + 2): \(row)")
                    #expect(row[1] == row[2] && row[1] == "clips/\(row[0]).mp4")
                    if name == split {
                        listed += 1
                        speakersBySplit[split, default: []].insert(String(row[0].prefix(3)))
                    }
                    let reader = try MediaReader(path: root + "/" + row[1])
                    #expect(reader.info.video?.codec == "h264" && reader.info.audio?.codec == "aac")
                    #expect(reader.info.video?.width == 96 && reader.info.video?.height == 96)
                    #expect(reader.info.video?.frameRate == 25 && reader.info.audio?.sampleRate == 16_000)
                    #expect(reader.info.video?.frameCount == Int(row[3]), "\(row[0]): frames")
                    let audio = try reader.audio()
                    #expect(audio.count == Int(row[4]), "\(row[0]): samples")
                    #expect(Int(row[4]) == Int(row[3])! * 640)
                    let words = wrd[i].split(separator: " ")
                    #expect(words.allSatisfy { vocabulary.contains(String($0)) })
                    if labelled {
                        #expect(words.count == 1 && Int(labels[i]) == vocabulary.firstIndex(of: String(words[0])))
                    } else if name.hasPrefix("sentences") {
                        #expect((2...4).contains(words.count))
                    }
                }
            }
        }
        #expect(listed == 9)
        // Speakers are split, never shared: 1 train, 1 valid, 1 test of 3.
        #expect(speakersBySplit.values.map(\.count).sorted() == [1, 1, 1])
        #expect(Set(speakersBySplit.values.flatMap { $0 }).count == 3)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/corpus.json"))) as? [String: Any]
        let options = json?["options"] as? [String: Any]
        #expect(options?["seed"] as? Int == 0 && options?["speakers"] as? Int == 3)
    }

    @Test func splitsHoldOutSpeakers() throws {
        var options = SyntheticCorpusOptions()
        for (speakers, expected) in [(24, [16, 4, 4]), (10, [6, 2, 2]), (3, [1, 1, 1]), (2, [1, 0, 1]), (1, [1, 0, 0])] {
            options.speakers = speakers
            let sizes = try SyntheticCorpus(options).splitSizes
            #expect([sizes.train, sizes.valid, sizes.test] == expected, "\(speakers) speakers")
        }
    }

    @Test func lipsCannotTellPBMApartButTheEarsCan() throws {
        let corpus = try SyntheticCorpus()
        for group in [["pat", "bat", "mat"], ["pole", "bowl", "mole"], ["toe", "doe", "no"], ["fan", "van"]] {
            let clips = group.map { corpus.render(speaker: 3, clip: 7, words: [SyntheticWord.named($0)!]) }
            for other in clips.dropFirst() {
                #expect(other.frames == clips[0].frames, "\(group): the same visemes draw the same frames")
                #expect(other.audio.count == clips[0].audio.count)
                let difference = zip(other.audio, clips[0].audio).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                let energy = clips[0].audio.reduce(Float(0)) { $0 + $1 * $1 }
                #expect(difference > 0.1 * energy, "\(group): the sounds differ (\(difference / energy))")
            }
        }
        // Different visemes do look different.
        let pat = corpus.render(speaker: 3, clip: 7, words: [SyntheticWord.named("pat")!])
        let fan = corpus.render(speaker: 3, clip: 7, words: [SyntheticWord.named("fan")!])
        #expect(pat.frames != fan.frames)
        #expect(SyntheticWord.named("pat")!.visemeClasses == SyntheticWord.named("mat")!.visemeClasses)
    }

    @Test func badOptionsAreRefused() {
        var options = SyntheticCorpusOptions()
        options.words = ["pat", "zebra"]
        #expect(throws: SyntheticCorpusError.self) { try SyntheticCorpus(options) }
        options = SyntheticCorpusOptions()
        options.speakers = 0
        #expect(throws: SyntheticCorpusError.self) { try SyntheticCorpus(options) }
        options = SyntheticCorpusOptions()
        options.validFraction = 0.6
        options.testFraction = 0.5
        #expect(throws: SyntheticCorpusError.self) { try SyntheticCorpus(options) }
    }

    @Test func inventoryAndVocabulary() {
        #expect((18...22).contains(Phoneme.inventory.count))
        #expect(SyntheticWord.vocabulary.count == 30)
        #expect(Set(SyntheticWord.vocabulary.map(\.text)).count == 30)
        for word in SyntheticWord.vocabulary {
            #expect(word.phonemes.allSatisfy { Phoneme.named($0) != nil }, "\(word.text)")
        }
        let classes = Dictionary(grouping: Phoneme.inventory, by: \.visemeClass).mapValues { $0.map(\.symbol) }
        #expect(classes["p b m"] == ["p", "b", "m"] && classes["t d n"] == ["t", "d", "n"] && classes["f v"] == ["f", "v"])
    }
}
