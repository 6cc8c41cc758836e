// `duet data synth`: writes the built-in synthetic talking-mouth corpus (MP4 clips and manifests)
// and, with --check, shows that word labels are recoverable from its audio and from its video.
import ArgumentParser
import DuetData
import Foundation

struct DataSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write the synthetic talking-mouth corpus: H.264 + AAC clips, manifests split by speaker, transcripts.")

    @Option(help: "The folder to write (created if missing).")
    var out: String

    @Option(help: "Speakers (70 / 15 / 15 % for train / valid / test; test speakers are unseen).")
    var speakers = 24

    @Option(help: "Clips per speaker.")
    var clipsPerSpeaker = 40

    @Option(help: "The seed: the same seed and options give the same files.")
    var seed: UInt64 = 0

    @Option(help: "The share of clips that are 2-4 word sentences; the rest are single words.")
    var sentenceFraction = 0.4

    @Option(help: "Use only these words (comma-separated, from the 30-word vocabulary).")
    var words: String?

    @Option(help: "Worker threads (0: one per core).")
    var threads = 0

    @Flag(help: "Afterwards, classify the test speakers' word clips from audio and from video features.")
    var check = false

    func run() throws {
        var options = SyntheticCorpusOptions()
        options.speakers = speakers
        options.clipsPerSpeaker = clipsPerSpeaker
        options.seed = seed
        options.sentenceFraction = sentenceFraction
        options.words = words.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        do {
            let corpus = try SyntheticCorpus(options)
            let start = Date()
            let step = max(1, speakers * clipsPerSpeaker / 20)
            let summary = try corpus.write(to: out, threads: threads) { done, total in
                if done % step == 0 || done == total { FileHandle.standardError.write(Data("\rwrote \(done)/\(total) clips".utf8)) }
            }
            FileHandle.standardError.write(Data("\n".utf8))
            let elapsed = Date().timeIntervalSince(start)
            let sizes = corpus.splitSizes
            let single = summary.clips.filter { $0.label != nil }.count
            print("\(summary.clips.count) clips (\(single) words, \(summary.clips.count - single) sentences) of "
                  + "\(speakers) speakers (\(sizes.train) train, \(sizes.valid) valid, \(sizes.test) test): "
                  + String(format: "%.1f s of audio, %d frames, %.1f MB in %.1f s", summary.seconds, summary.frameCount,
                           Double(summary.bytes) / 1e6, elapsed))
            print("manifests: \(out)/{train,valid,test}.tsv, words-*.tsv (+ .lbl), sentences-*.tsv; .wrd, .phn; vocab.txt, phonemes.txt, corpus.json")
            if check {
                let checkStart = Date()
                let report = try corpus.check(summary.clips, root: out)
                print(report)
                print(String(format: "  (check took %.1f s)", Date().timeIntervalSince(checkStart)))
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
