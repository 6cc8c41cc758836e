// The public entry point for reading: open a file once, probe it, then decode audio, video or an
// aligned clip for any time window. Each read seeks; none decodes from the start needlessly.
import CFFmpeg

/// Reads one media file. Not thread-safe; give each decoding thread its own reader.
public final class MediaReader {
    let file: MediaFile
    /// What the container says about itself and its streams.
    public let info: MediaInfo

    public var path: String { file.path }

    /// Opens and probes `path`; throws `MediaError` for a missing, empty or unreadable file.
    public init(path: String) throws(MediaError) {
        file = try MediaFile(path: path)
        info = file.info()
    }

    /// Probes a file without keeping it open.
    public static func probe(_ path: String) throws(MediaError) -> MediaInfo {
        try MediaReader(path: path).info
    }

    /// The end a stream's header promises, in seconds, or nil when it does not (or estimated it
    /// from the bit rate, which is no promise).
    func promisedEnd(ofStream index: Int) -> Double? {
        if let riff = riffPromisedEnd(ofStream: index) { return riff }
        if file.context.pointee.duration_estimation_method == AVFMT_DURATION_FROM_BITRATE { return nil }
        guard let duration = file.duration(ofStream: index) else { return nil }
        return (file.startTime(ofStream: index) ?? 0) + duration
    }
}
