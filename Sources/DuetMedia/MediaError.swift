// The errors DuetMedia throws: every one names the file (or the argument) and says why, so a
// data loader can skip a bad clip and count it by reason.

/// Why a media file could not be read or written.
public enum MediaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not exist.
    case notFound(file: String)
    /// The path exists but is not a regular file (a directory, a device, ...).
    case notAFile(file: String)
    /// The file has zero bytes.
    case emptyFile(file: String)
    /// FFmpeg could not open or understand the container.
    case unreadable(file: String, reason: String)
    /// The file has no stream of the kind asked for.
    case noStream(file: String, kind: StreamKind)
    /// No decoder (or encoder) for the stream's codec in this FFmpeg build.
    case unsupportedCodec(file: String, codec: String)
    /// The stream decoded to nothing (a zero-length stream, or a window past its end).
    case noData(file: String, reason: String)
    /// The file ends before what its header promises, and the caller asked for complete clips.
    case truncated(file: String, expectedEnd: Double, decodedEnd: Double)
    /// Decoding, resampling or scaling failed part-way.
    case decodeFailed(file: String, reason: String)
    /// Writing a file failed.
    case encodeFailed(file: String, reason: String)
    /// A requested size, rate, window or option is out of range.
    case invalidArgument(name: String, reason: String)

    /// The file the error is about, or the argument's name.
    public var file: String {
        switch self {
        case .notFound(let f), .notAFile(let f), .emptyFile(let f), .unreadable(let f, _), .noStream(let f, _),
             .unsupportedCodec(let f, _), .noData(let f, _), .truncated(let f, _, _), .decodeFailed(let f, _),
             .encodeFailed(let f, _), .invalidArgument(let f, _):
            return f
        }
    }

    /// A short stable name for the reason, for counting skipped files by reason.
    public var reasonCode: String {
        switch self {
        case .notFound: return "not-found"
        case .notAFile: return "not-a-file"
        case .emptyFile: return "empty-file"
        case .unreadable: return "unreadable"
        case .noStream: return "no-stream"
        case .unsupportedCodec: return "unsupported-codec"
        case .noData: return "no-data"
        case .truncated: return "truncated"
        case .decodeFailed: return "decode-failed"
        case .encodeFailed: return "encode-failed"
        case .invalidArgument: return "invalid-argument"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let f): return "\(f): no such file"
        case .notAFile(let f): return "\(f): not a regular file"
        case .emptyFile(let f): return "\(f): the file is empty"
        case .unreadable(let f, let why): return "\(f): not a readable media file (\(why))"
        case .noStream(let f, let kind): return "\(f): has no \(kind) stream"
        case .unsupportedCodec(let f, let codec): return "\(f): no \(codec) codec in this FFmpeg build"
        case .noData(let f, let why): return "\(f): \(why)"
        case .truncated(let f, let expected, let got):
            return "\(f): truncated: decoding stopped at \(formatSeconds(got)) s, the header promises \(formatSeconds(expected)) s"
        case .decodeFailed(let f, let why): return "\(f): cannot decode: \(why)"
        case .encodeFailed(let f, let why): return "\(f): cannot write: \(why)"
        case .invalidArgument(let name, let why): return "\(name): \(why)"
        }
    }
}

/// Seconds with three decimals, for messages.
func formatSeconds(_ s: Double) -> String { String(format: "%.3f", s) }
