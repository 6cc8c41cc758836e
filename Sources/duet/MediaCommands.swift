// `duet media`: tools for checking preprocessing (probe a file, dump its frames or filterbank to
// safetensors, as PyAV / torchaudio would produce them).
import ArgumentParser
import DuetMedia
import Foundation

struct Media: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect media files and dump what Duet decodes from them.",
        subcommands: [MediaProbe.self, MediaFrames.self, MediaFbank.self])
}

/// Options every media command shares.
struct MediaCommon: ParsableArguments {
    @Argument(help: "A media file (any container and codec FFmpeg reads).")
    var file: String

    @Flag(help: "Show FFmpeg's own warnings and errors (also: DUET_FFMPEG_LOG=warning).")
    var verbose = false

    func prepare() {
        if verbose { MediaLog.setLevel(.warning) }
    }
}

struct MediaProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Show a file's container, streams, durations, rates, sizes and frame counts.")

    @OptionGroup var common: MediaCommon

    func run() throws {
        common.prepare()
        let info = try MediaReader.probe(common.file)
        print("\(info.file): \(info.format), \(seconds(info.duration))" + (info.bitRate.map { ", \($0 / 1000) kb/s" } ?? ""))
        for s in info.streams {
            var parts = ["#\(s.index) \(s.kind) \(s.codec)"]
            if let w = s.width, let h = s.height { parts.append("\(w)×\(h)") }
            if let p = s.pixelFormat { parts.append(p) }
            if let r = s.frameRate { parts.append(String(format: "%.3f fps", r)) }
            if let r = s.sampleRate { parts.append("\(r) Hz") }
            if let c = s.channels { parts.append("\(c) channel" + (c == 1 ? "" : "s")) }
            parts.append(seconds(s.duration))
            if let n = s.frameCount { parts.append("\(n) frames" + (s.frameCountIsExact ? "" : " (estimated)")) }
            if let start = s.startTime, start != 0 { parts.append(String(format: "starts at %.3f s", start)) }
            print("  " + parts.joined(separator: ", "))
        }
    }

    private func seconds(_ value: Double?) -> String {
        value.map { String(format: "%.3f s", $0) } ?? "duration unknown"
    }
}
