// The synthetic corpus's manifests, in AV-HuBERT / fairseq form: for each split, all clips
// (`train.tsv`), single words (`words-train.tsv`) and sentences (`sentences-train.tsv`), each with
// `.wrd` transcripts and `.phn` phoneme transcripts, word clips also with `.lbl` classes; plus
// `vocab.txt`, `phonemes.txt` and `corpus.json` (seed, options, speakers, inventory).
import Foundation

extension SyntheticCorpus {
    /// The manifests' base names: every clip of a split, its single words, its sentences.
    static func manifestNames(_ split: SyntheticSplit) -> (all: String, words: String, sentences: String) {
        (split.rawValue, "words-\(split.rawValue)", "sentences-\(split.rawValue)")
    }

    func writeManifests(_ clips: [SyntheticClipRecord], root: URL) throws(SyntheticCorpusError) {
        var counts: [String: Int] = [:]
        for split in SyntheticSplit.allCases {
            let names = SyntheticCorpus.manifestNames(split)
            let inSplit = clips.filter { $0.split == split }
            let words = inSplit.filter { $0.label != nil }, sentences = inSplit.filter { $0.label == nil }
            try writeManifest(names.all, inSplit, root: root, labels: false)
            try writeManifest(names.words, words, root: root, labels: true)
            try writeManifest(names.sentences, sentences, root: root, labels: false)
            counts[names.all] = inSplit.count
            counts[names.words] = words.count
            counts[names.sentences] = sentences.count
        }
        try write(vocabulary.map { $0.text + "\n" }.joined(), to: root.appendingPathComponent("vocab.txt"))
        try write(Phoneme.inventory.map { $0.symbol + "\n" }.joined(), to: root.appendingPathComponent("phonemes.txt"))
        try writeDescription(counts: counts, root: root)
    }

    /// `name.tsv` (root line, then id, video, audio, frames, samples), `.wrd`, `.phn`, and with
    /// `labels` a `.lbl` of word classes.
    private func writeManifest(_ name: String, _ clips: [SyntheticClipRecord], root: URL, labels: Bool) throws(SyntheticCorpusError) {
        var tsv = root.path + "\n", wrd = "", phn = "", lbl = ""
        for clip in clips {
            tsv += "\(clip.id)\t\(clip.path)\t\(clip.path)\t\(clip.frameCount)\t\(clip.sampleCount)\n"
            wrd += clip.words.joined(separator: " ") + "\n"
            phn += clip.phonemes.joined(separator: " ") + "\n"
            lbl += "\(clip.label ?? -1)\n"
        }
        try write(tsv, to: root.appendingPathComponent(name + ".tsv"))
        try write(wrd, to: root.appendingPathComponent(name + ".wrd"))
        try write(phn, to: root.appendingPathComponent(name + ".phn"))
        if labels { try write(lbl, to: root.appendingPathComponent(name + ".lbl")) }
    }

    private func writeDescription(counts: [String: Int], root: URL) throws(SyntheticCorpusError) {
        var splits: [String: [String]] = [:]
        for split in SyntheticSplit.allCases {
            splits[split.rawValue] = speakers.filter { self.split(ofSpeaker: $0.index) == split }.map(\.id)
        }
        let description = CorpusDescription(
            options: options, splits: splits, clips: counts,
            vocabulary: vocabulary.map { .init(text: $0.text, phonemes: $0.phonemes, visemes: $0.visemeClasses) },
            phonemes: Phoneme.inventory.map {
                .init(symbol: $0.symbol, kind: $0.kind.rawValue, voiced: $0.voiced, visemeClass: $0.visemeClass, viseme: $0.viseme)
            },
            speakers: speakers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json: Data
        do {
            json = try encoder.encode(description)
        } catch {
            throw .cannotWrite(path: root.appendingPathComponent("corpus.json").path, reason: "\(error)")
        }
        try write(String(decoding: json, as: UTF8.self) + "\n", to: root.appendingPathComponent("corpus.json"))
    }

    private func write(_ text: String, to url: URL) throws(SyntheticCorpusError) {
        do {
            try Data(text.utf8).write(to: url)
        } catch {
            throw .cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// corpus.json: what made the corpus and what it holds. It names no absolute path, so two
/// corpora made with the same options have the same file.
private struct CorpusDescription: Encodable {
    struct Word: Encodable {
        let text: String
        let phonemes: [String]
        let visemes: [String]
    }

    struct Sound: Encodable {
        let symbol: String
        let kind: String
        let voiced: Bool
        let visemeClass: String
        let viseme: Viseme
    }

    var generator = "duet data synth"
    var version = 1
    let options: SyntheticCorpusOptions
    var video = "H.264 (libx264), yuv420p, 96×96, 25 fps"
    var audio = "AAC-LC, mono, 16 kHz"
    var sampleRate = SyntheticClip.sampleRate
    var frameRate = SyntheticClip.frameRate
    var manifests = "NAME.tsv: every clip of a split; words-NAME.tsv: one-word clips (.lbl: index in vocab.txt); "
        + "sentences-NAME.tsv: 2-4 word clips; .wrd: words, .phn: phonemes, one clip a line"
    let splits: [String: [String]]
    let clips: [String: Int]
    let vocabulary: [Word]
    let phonemes: [Sound]
    let speakers: [SyntheticSpeaker]
}
