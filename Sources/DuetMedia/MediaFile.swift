// An open container: checks the path before FFmpeg sees it, opens and probes it, and owns the
// AVFormatContext until deinit, so every exit path closes it.
import CFFmpeg
import Foundation

/// An open demuxer over one file. Not thread-safe: one reader per thread, as with PyAV.
final class MediaFile {
    let path: String
    let context: UnsafeMutablePointer<AVFormatContext>
    /// True once packets have been read, after which a read from the start must seek back.
    var consumed = false

    init(path: String) throws(MediaError) {
        MediaLog.installOnce()
        try MediaFile.checkPath(path)
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let opened = avformat_open_input(&context, path, nil, nil)
        guard opened >= 0, let context else {
            // avformat_open_input frees the context itself when it fails.
            let why = opened == FFCode.eof ? "it ends before the container's first packet" : ffmpegMessage(opened)
            throw .unreadable(file: path, reason: why)
        }
        let demuxer = context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? ""
        guard !MediaFile.textDemuxers.contains(demuxer) else {
            var owned: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&owned)
            throw .unreadable(file: path, reason: "a text file (FFmpeg would render it as ANSI art)")
        }
        let found = avformat_find_stream_info(context, nil)
        guard found >= 0 else {
            let streams = context.pointee.nb_streams
            var owned: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&owned)
            if found == FFCode.eof && streams > 0 { throw .noData(file: path, reason: "its streams hold no data (zero-length)") }
            throw .unreadable(file: path, reason: "no stream information: " + ffmpegMessage(found))
        }
        guard context.pointee.nb_streams > 0 else {
            var owned: UnsafeMutablePointer<AVFormatContext>? = context
            avformat_close_input(&owned)
            throw .unreadable(file: path, reason: "the container holds no streams")
        }
        self.path = path
        self.context = context
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&owned)
    }

    /// FFmpeg's demuxers for text art (tty.c, bintext.c), which accept any `.txt` file; a text
    /// file in a media manifest is a mistake to report, not frames to decode.
    static let textDemuxers: Set<String> = ["tty", "bin", "xbin", "idf", "adf"]

    /// The failures that need no FFmpeg: a missing path, a directory, an empty file.
    static func checkPath(_ path: String) throws(MediaError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .notFound(file: path) }
        guard !isDirectory.boolValue else { throw .notAFile(file: path) }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard (attributes?[.type] as? FileAttributeType) == .typeRegular else { throw .notAFile(file: path) }
        guard let size = attributes?[.size] as? NSNumber, size.int64Value > 0 else { throw .emptyFile(file: path) }
    }

    /// The stream at `index`.
    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    /// The index of the best stream of `kind` (FFmpeg's choice: the default, then the largest).
    func bestStream(_ kind: StreamKind) throws(MediaError) -> Int {
        let index = av_find_best_stream(context, kind.mediaType, -1, -1, nil, 0)
        guard index >= 0 else { throw .noStream(file: path, kind: kind) }
        return Int(index)
    }

    /// Tells the demuxer to drop packets of every stream but `keep`, so reading one stream does
    /// not pay for parsing the others.
    func discardAll(except keep: Int) {
        for i in 0..<Int(context.pointee.nb_streams) {
            stream(i).pointee.discard = i == keep ? AVDISCARD_DEFAULT : AVDISCARD_ALL
        }
    }
}

/// The kinds of stream Duet reads.
public enum StreamKind: String, Sendable, Equatable, CustomStringConvertible {
    case audio, video, subtitle, data, other
    public var description: String { rawValue }

    var mediaType: AVMediaType {
        switch self {
        case .audio: return AVMEDIA_TYPE_AUDIO
        case .video: return AVMEDIA_TYPE_VIDEO
        case .subtitle: return AVMEDIA_TYPE_SUBTITLE
        case .data: return AVMEDIA_TYPE_DATA
        case .other: return AVMEDIA_TYPE_UNKNOWN
        }
    }

    init(_ type: AVMediaType) {
        switch type {
        case AVMEDIA_TYPE_AUDIO: self = .audio
        case AVMEDIA_TYPE_VIDEO: self = .video
        case AVMEDIA_TYPE_SUBTITLE: self = .subtitle
        case AVMEDIA_TYPE_DATA: self = .data
        default: self = .other
        }
    }
}

extension MediaFile {
    /// The stream's first presentation time in seconds, when the container states it.
    func startTime(ofStream index: Int) -> Double? {
        let s = stream(index).pointee
        return s.start_time != FFCode.noTimestamp ? Double(s.start_time) * seconds(s.time_base) : nil
    }
}
