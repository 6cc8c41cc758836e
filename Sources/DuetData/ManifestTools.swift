// `duet data index` and `duet data check`: build a manifest by probing every media file of a
// folder, and probe (or fully decode) every entry of a manifest to find the files a run would skip.
import DuetMedia
import Foundation

/// A file or entry that cannot be used, and why.
public struct Rejection: Sendable, Equatable {
    /// The manifest index and id (nil when indexing a folder).
    public let index: Int?
    public let id: String?
    public let error: MediaError

    public init(index: Int? = nil, id: String? = nil, error: MediaError) {
        self.index = index
        self.id = id
        self.error = error
    }

    public var file: String { error.file }
    public var reason: String { error.reasonCode }
}

public enum ManifestIndexer {
    /// Extensions taken as media when indexing a folder.
    public static let mediaExtensions: Set<String> = ["mp4", "m4v", "mkv", "webm", "mov", "avi", "mpg", "mpeg", "flv",
                                                      "wav", "flac", "mp3", "m4a", "aac", "ogg", "opus"]

    /// Probes every media file under `folder` (recursively, in path order) and builds a manifest
    /// rooted at the folder's absolute path. Audio-visual: every file with video and audio, or
    /// with video and a same-named audio file beside it (`clip.mp4` + `clip.wav`); ids are the
    /// relative paths without extension. Audio: every file with audio, wav2vec-style.
    public static func index(folder: String, modalities: Modalities = .audioVisual,
                             threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws(DataError) -> (Manifest, [Rejection]) {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let relative = try mediaFiles(under: root)
        let probes = parallelMap(relative.count, threads: threads, makeState: {}) { _, i -> Result<MediaInfo, MediaError> in
            do throws(MediaError) { return .success(try MediaReader.probe(root + "/" + relative[i])) } catch { return .failure(error) }
        }
        var rejections: [Rejection] = []
        var infos: [String: MediaInfo] = [:]
        for (path, probe) in zip(relative, probes) {
            switch probe {
            case .success(let info): infos[path] = info
            case .failure(let error): rejections.append(Rejection(error: error))
            }
        }
        let stem = { (path: String) in (path as NSString).deletingPathExtension }
        var entries: [ManifestEntry] = []
        var ids = Set<String>()
        if modalities == .audio {
            for path in relative {
                guard let info = infos[path] else { continue }
                guard let audio = info.audio else { rejections.append(Rejection(error: .noStream(file: info.file, kind: .audio))); continue }
                entries.append(.audio(path, samples: samples(audio)))
            }
            return (Manifest(root: root, kind: .audioOnly, entries: entries), rejections)
        }
        let videoStems = Set(relative.filter { infos[$0]?.video != nil }.map(stem))
        let audioBeside = Dictionary(relative.filter { infos[$0]?.video == nil && infos[$0]?.audio != nil }.map { (stem($0), $0) },
                                     uniquingKeysWith: { first, _ in first })
        for path in relative {
            guard let info = infos[path] else { continue }
            guard let video = info.video else {
                // An audio file beside a video of the same name is that video's sound, not a reject.
                if !videoStems.contains(stem(path)) { rejections.append(Rejection(error: .noStream(file: info.file, kind: .video))) }
                continue
            }
            let audioPath = info.audio != nil ? path : audioBeside[stem(path)]
            guard let audioPath, let audio = infos[audioPath]?.audio else {
                rejections.append(Rejection(error: .noStream(file: info.file, kind: .audio)))
                continue
            }
            let id = ids.contains(stem(path)) ? path : stem(path)
            ids.insert(id)
            let frames = video.frameCount ?? Int(((video.duration ?? 0) * (video.frameRate ?? 0)).rounded())
            entries.append(ManifestEntry(id: id, videoPath: path, audioPath: audioPath, videoFrames: frames, audioSamples: samples(audio)))
        }
        return (Manifest(root: root, kind: .audioVisual, entries: entries), rejections)
    }

    /// Media files under `root`, relative to it, sorted; hidden files and folders are left out.
    static func mediaFiles(under root: String) throws(DataError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .io(file: root, reason: "no such folder")
        }
        guard let walk = FileManager.default.enumerator(atPath: root) else { throw .io(file: root, reason: "cannot list the folder") }
        var files: [String] = []
        while let path = walk.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if walk.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { walk.skipDescendants() }
                continue
            }
            // A tab or a newline would break the manifest's lines.
            guard mediaExtensions.contains((name as NSString).pathExtension.lowercased()),
                  !path.contains("\t"), !path.contains("\n") else { continue }
            files.append(path)
        }
        return files.sorted()
    }

    /// Samples at the stream's own rate, from its duration.
    private static func samples(_ audio: StreamInfo) -> Int {
        Int(((audio.duration ?? 0) * Double(audio.sampleRate ?? 0)).rounded())
    }
}

public enum ManifestChecker {
    /// Every entry that a run reading `modalities` would skip, in manifest order. Probing
    /// finds missing, empty, unreadable files and missing streams; `decode` also decodes every
    /// stream to its end (tiny gray frames), which finds truncated and corrupt files.
    public static func check(_ manifest: Manifest, modalities: Modalities = .audioVisual, decode: Bool = false,
                             threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Rejection] {
        let results = parallelMap(manifest.count, threads: threads, makeState: {}) { _, i -> MediaError? in
            do throws(MediaError) {
                try checkEntry(manifest, i, modalities: manifest.kind == .audioOnly ? .audio : modalities, decode: decode)
                return nil
            } catch {
                return error
            }
        }
        return results.enumerated().compactMap { i, error in
            error.map { Rejection(index: i, id: manifest.entries[i].id, error: $0) }
        }
    }

    private static func checkEntry(_ manifest: Manifest, _ i: Int, modalities: Modalities, decode: Bool) throws(MediaError) {
        if modalities.hasVideo {
            let reader = try MediaReader(path: manifest.videoFile(i) ?? manifest.audioFile(i))
            guard reader.info.video != nil else { throw .noStream(file: reader.path, kind: .video) }
            if decode {
                _ = try reader.video(VideoOptions(size: FrameSize(width: 8, height: 8), pixelFormat: .gray), requireComplete: true)
            }
        }
        if modalities.hasAudio {
            let reader = try MediaReader(path: manifest.audioFile(i))
            guard reader.info.audio != nil else { throw .noStream(file: reader.path, kind: .audio) }
            if decode { _ = try reader.audio(requireComplete: true) }
        }
    }
}
