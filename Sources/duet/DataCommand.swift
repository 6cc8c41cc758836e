// `duet data`: build a manifest from a folder (index), find the entries a run would skip
// (check), and measure the filterbank statistics a dataset is normalised with (stats).
import ArgumentParser
import DuetData
import DuetMedia
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Prepare datasets: manifests, checks, normalisation statistics, the synthetic corpus.",
        subcommands: [DataIndex.self, DataCheck.self, DataStats.self, DataSynth.self])
}

/// Options the data commands share.
struct DataCommon: ParsableArguments {
    @Option(help: "Files probed or decoded at once (default: the machine's cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Show FFmpeg's own warnings and errors (also: DUET_FFMPEG_LOG=warning).")
    var verbose = false

    func prepare() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if verbose { MediaLog.setLevel(.warning) }
    }
}

/// Runs a library call, printing a DataError as one plain line and exiting 1.
func runReportingDataErrors<T>(_ body: () throws(DataError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// One line per rejected file: `file [reason]: message`.
func printRejections(_ rejections: [Rejection], to handle: FileHandle = .standardError) {
    for r in rejections { handle.write(Data("rejected \(r.id.map { "\($0): " } ?? "")\(r.error) [\(r.reason)]\n".utf8)) }
}

struct DataIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Probe every media file under a folder and write a fairseq / AV-HuBERT manifest.",
        discussion: """
            Audio-visual (default): id, video path, audio path, video frames, audio samples; a silent video \
            takes the audio of a same-named file beside it (clip.mp4 + clip.wav). --audio-only writes \
            wav2vec's path, samples. Files that cannot be used are listed with the reason.
            Example: duet data index /data/lrs3/trainval --out train.tsv
            """)

    @Argument(help: "The folder to index (searched recursively; its absolute path is the manifest's root).")
    var folder: String

    @Option(help: "The manifest to write.")
    var out: String

    @Flag(help: "Write an audio-only (wav2vec) manifest of every file with audio.")
    var audioOnly = false

    @OptionGroup var common: DataCommon

    func run() throws {
        try common.prepare()
        let (manifest, rejections) = try runReportingDataErrors { () throws(DataError) in
            let result = try ManifestIndexer.index(folder: folder, modalities: audioOnly ? .audio : .audioVisual, threads: common.threads)
            try result.0.write(to: out)
            return result
        }
        printRejections(rejections)
        print("\(out): \(manifest.count) \(audioOnly ? "audio" : "audio-visual") entries under \(manifest.root)"
              + (rejections.isEmpty ? "" : "; \(rejections.count) file\(rejections.count == 1 ? "" : "s") rejected"))
    }
}

struct DataCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Probe every entry of a manifest and report the ones a run would skip, with the reason of each.",
        discussion: """
            Probing finds missing, empty, unreadable files and missing streams; --decode also decodes every \
            stream to its end and finds truncated and corrupt files. Exits 1 when any entry is rejected.
            Example: duet data check train.tsv --decode --report rejects.tsv
            """)

    @Argument(help: "A manifest (fairseq / AV-HuBERT TSV, or wav2vec's audio-only TSV).")
    var manifest: String

    @Option(help: "The streams a run reads: av, audio or video.")
    var modalities = "av"

    @Flag(help: "Decode every stream to its end, not only probe.")
    var decode = false

    @Option(help: "Also write the rejects as TSV: line, id, file, reason, message.")
    var report: String?

    @OptionGroup var common: DataCommon

    func run() throws {
        try common.prepare()
        guard let streams = ["av": Modalities.audioVisual, "audio": .audio, "video": .video][modalities] else {
            throw ValidationError("--modalities must be av, audio or video (got \(modalities))")
        }
        let (loaded, rejections) = try runReportingDataErrors { () throws(DataError) in
            let loaded = try Manifest.load(contentsOf: manifest)
            let rejections = ManifestChecker.check(loaded, modalities: streams, decode: decode, threads: common.threads)
            if let report {
                // Line numbers as in the file: the root is line 1.
                let rows = rejections.map { r in
                    ["\(r.index! + 2)", r.id ?? "", r.file, r.reason, r.error.description.replacingOccurrences(of: "\t", with: " ")]
                        .joined(separator: "\t") + "\n"
                }
                do {
                    try Data(("line\tid\tfile\treason\tmessage\n" + rows.joined()).utf8).write(to: URL(fileURLWithPath: report))
                } catch {
                    throw DataError.io(file: report, reason: "cannot write: \(error.localizedDescription)")
                }
            }
            return (loaded, rejections)
        }
        printRejections(rejections, to: .standardOutput)
        let counts = Dictionary(grouping: rejections, by: \.reason).map { "\($0.key) \($0.value.count)" }.sorted()
        print("\(manifest): \(loaded.count - rejections.count) of \(loaded.count) entries usable"
              + (rejections.isEmpty ? "" : "; rejected: " + counts.joined(separator: ", ")))
        if !rejections.isEmpty { throw ExitCode.failure }
    }
}

struct DataStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Measure the filterbank mean and std of a dataset (AudioMAE's norm stats) and write them as JSON.",
        discussion: """
            Kaldi filterbanks as AudioMAE computes them (Hanning, HTK-compatible, 25 ms / 10 ms, samples in \
            [-1, 1]) over every file's whole audio, pooled over all frames and bins. A dataset normalises \
            with (x − mean) / (2·std).
            Example: duet data stats train.tsv --out stats.json
            """)

    @Argument(help: "A manifest (audio-visual or audio-only).")
    var manifest: String

    @Option(help: "The JSON file to write: mean, std, mels, sample_rate, files, frames, skipped.")
    var out: String

    @Option(help: "Mel bins.")
    var mels = 128

    @Option(help: "Resample audio to this rate (Hz) first.")
    var sampleRate = 16_000

    @Option(help: "Measure a random subset of this many files (drawn with --seed).")
    var maxFiles: Int?

    @Option(help: "Seed of the subset.")
    var seed: UInt64 = 0

    @OptionGroup var common: DataCommon

    func run() throws {
        try common.prepare()
        var options = KaldiFbankOptions.audioMAE
        options.melBins = mels
        let (stats, rejections) = try runReportingDataErrors { () throws(DataError) in
            let loaded = try Manifest.load(contentsOf: manifest)
            let result = try FbankStats.compute(loaded, fbank: options, sampleRate: sampleRate, maxFiles: maxFiles, seed: seed,
                                                threads: common.threads)
            try result.0.write(to: out)
            return result
        }
        printRejections(rejections)
        print("\(out): " + String(format: "mean %.6f, std %.6f over %d frames of %d files", stats.mean, stats.std, stats.frames, stats.files)
              + (rejections.isEmpty ? "" : "; \(rejections.count) skipped"))
    }
}
