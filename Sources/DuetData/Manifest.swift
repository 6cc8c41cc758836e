// Manifests in the formats users already have: fairseq / AV-HuBERT TSV (first line the root
// folder, then `id, video, audio, video frames, audio samples`) and wav2vec's audio-only TSV
// (first line the root, then `relpath, samples`). Parsing names the file and line of any fault.
import Foundation

/// Which of the two TSV layouts a manifest uses.
public enum ManifestKind: String, Sendable, Equatable, Codable {
    /// `id \t video_path \t audio_path \t n_video_frames \t n_audio_samples` (AV-HuBERT).
    case audioVisual
    /// `relpath \t n_samples` (wav2vec); the path doubles as the id.
    case audioOnly

    /// Tab-separated fields per entry line.
    public var fieldCount: Int { self == .audioVisual ? 5 : 2 }
}

/// One clip of a manifest, with paths as written (relative to the root unless absolute).
public struct ManifestEntry: Sendable, Equatable {
    public var id: String
    /// nil in an audio-only manifest.
    public var videoPath: String?
    /// May equal `videoPath` when the audio is in the same file.
    public var audioPath: String
    /// Frames of the video at its own rate (AV-HuBERT's `n_video_frames`); nil when audio-only.
    public var videoFrames: Int?
    /// Samples of the audio at its own rate.
    public var audioSamples: Int

    public init(id: String, videoPath: String?, audioPath: String, videoFrames: Int?, audioSamples: Int) {
        self.id = id
        self.videoPath = videoPath
        self.audioPath = audioPath
        self.videoFrames = videoFrames
        self.audioSamples = audioSamples
    }

    /// An audio-only entry, whose id is its path (as wav2vec has it).
    public static func audio(_ path: String, samples: Int) -> ManifestEntry {
        ManifestEntry(id: path, videoPath: nil, audioPath: path, videoFrames: nil, audioSamples: samples)
    }
}

/// A fairseq-style manifest: a root folder and one entry per clip.
public struct Manifest: Sendable, Equatable {
    public var root: String
    public var kind: ManifestKind
    public var entries: [ManifestEntry]
    /// The file it was read from, for messages and for finding label files beside it.
    public var file: String?

    public init(root: String, kind: ManifestKind, entries: [ManifestEntry], file: String? = nil) {
        self.root = root
        self.kind = kind
        self.entries = entries
        self.file = file
    }

    public var count: Int { entries.count }

    /// A path of the manifest made usable: absolute paths stay, others join the root (as
    /// Python's `os.path.join(root, path)`).
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || root.isEmpty || root == "." { return path }
        return root.hasSuffix("/") ? root + path : root + "/" + path
    }

    public func videoFile(_ index: Int) -> String? { entries[index].videoPath.map(resolve) }
    public func audioFile(_ index: Int) -> String { resolve(entries[index].audioPath) }

    /// Reads and parses a manifest file.
    public static func load(contentsOf path: String) throws(DataError) -> Manifest {
        try parse(try readText(path), file: path)
    }

    /// Parses manifest text; `file` names it in errors. The layout is read from the first entry
    /// line's field count; every later line must match it.
    public static func parse(_ text: String, file: String = "<manifest>") throws(DataError) -> Manifest {
        let lines = splitLines(text)
        guard let first = lines.first, !first.isEmpty else {
            throw .malformed(file: file, line: 1, reason: "the first line must be the root folder, and it is empty")
        }
        guard !first.contains("\t") else {
            throw .malformed(file: file, line: 1, reason: "the first line must be the root folder alone, found tab-separated fields")
        }
        var kind: ManifestKind?
        var entries: [ManifestEntry] = []
        entries.reserveCapacity(lines.count - 1)
        for (offset, line) in lines.dropFirst().enumerated() {
            let number = offset + 2
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let layout: ManifestKind
            switch (fields.count, kind) {
            case (5, nil): layout = .audioVisual
            case (2, nil): layout = .audioOnly
            case (let n, let known?) where n == known.fieldCount: layout = known
            default:
                throw .malformed(file: file, line: number, reason: fieldCountReason(line, fields.count, kind))
            }
            kind = layout
            entries.append(try entry(fields, layout, file: file, line: number))
        }
        return Manifest(root: first, kind: kind ?? .audioVisual, entries: entries, file: file)
    }

    /// The manifest as TSV text, the root on the first line.
    public func text() -> String {
        var out = root + "\n"
        for e in entries {
            switch kind {
            case .audioVisual:
                out += [e.id, e.videoPath ?? e.audioPath, e.audioPath, String(e.videoFrames ?? 0), String(e.audioSamples)]
                    .joined(separator: "\t") + "\n"
            case .audioOnly:
                out += e.audioPath + "\t" + String(e.audioSamples) + "\n"
            }
        }
        return out
    }

    public func write(to path: String) throws(DataError) {
        try writeText(text(), to: path)
    }

    /// A manifest with the entries at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Manifest {
        Manifest(root: root, kind: kind, entries: indices.map { entries[$0] }, file: file)
    }

    private static func entry(_ f: [String], _ kind: ManifestKind, file: String, line: Int) throws(DataError) -> ManifestEntry {
        func count(_ text: String, _ name: String) throws(DataError) -> Int {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw .malformed(file: file, line: line, reason: "\(name) must be a whole number ≥ 0, got '\(text)'")
            }
            return n
        }
        let names = kind == .audioVisual ? ["id", "video_path", "audio_path"] : ["path"]
        for (value, name) in zip(f, names) where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw .malformed(file: file, line: line, reason: "\(name) is empty")
        }
        switch kind {
        case .audioVisual:
            return ManifestEntry(id: f[0], videoPath: f[1], audioPath: f[2], videoFrames: try count(f[3], "n_video_frames"),
                                 audioSamples: try count(f[4], "n_audio_samples"))
        case .audioOnly:
            return .audio(f[0], samples: try count(f[1], "n_samples"))
        }
    }

    private static func fieldCountReason(_ line: String, _ count: Int, _ kind: ManifestKind?) -> String {
        if line.trimmingCharacters(in: .whitespaces).isEmpty { return "empty line inside the manifest" }
        let expected = kind.map { $0 == .audioVisual
            ? "5 tab-separated fields (id, video_path, audio_path, n_video_frames, n_audio_samples) as the lines above"
            : "2 tab-separated fields (path, n_samples) as the lines above" }
            ?? "5 tab-separated fields (id, video_path, audio_path, n_video_frames, n_audio_samples) or 2 (path, n_samples)"
        let spaces = count == 1 && line.contains(" ") ? "; fields are separated by spaces, not tabs" : ""
        return "expected \(expected), found \(count)\(spaces)"
    }
}

/// The lines of a text file: "\n" or "\r\n" endings, trailing empty lines dropped.
func splitLines(_ text: String) -> [String] {
    // "\r\n" is one Character in Swift, so it is a separator of its own.
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
    while let last = lines.last, last.isEmpty { lines.removeLast() }
    return lines
}

func readText(_ path: String) throws(DataError) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .io(file: path, reason: "no such file") }
    guard !isDirectory.boolValue else { throw .io(file: path, reason: "is a folder, not a file") }
    guard let data = FileManager.default.contents(atPath: path) else { throw .io(file: path, reason: "cannot read the file") }
    guard let text = String(data: data, encoding: .utf8) else { throw .io(file: path, reason: "is not UTF-8 text") }
    return text
}

func writeText(_ text: String, to path: String) throws(DataError) {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw .io(file: path, reason: "cannot write: \(error.localizedDescription)")
    }
}
