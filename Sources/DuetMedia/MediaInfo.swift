// What a probe reports about a file and its streams: durations, rates, sizes and frame counts,
// as ffprobe would show them (unknown values are nil, never zero).
import CFFmpeg

/// One stream of a container.
public struct StreamInfo: Sendable, Equatable {
    public let index: Int
    public let kind: StreamKind
    /// The codec's short name (`h264`, `aac`, `pcm_s16le`, `ffv1`, ...).
    public let codec: String
    /// Seconds from the stream's time base and duration; nil when the container does not say.
    public let duration: Double?
    /// The presentation time of the stream's first frame, in seconds.
    public let startTime: Double?
    /// Audio: samples per second and channels.
    public let sampleRate: Int?
    public let channels: Int?
    /// Video: the coded picture size, the average frame rate, and the pixel format's name.
    public let width: Int?
    public let height: Int?
    public let frameRate: Double?
    public let pixelFormat: String?
    /// The frame count the container states, or else one estimated from duration × rate
    /// (`frameCountIsExact` tells which).
    public let frameCount: Int?
    public let frameCountIsExact: Bool
    /// Bits per second when known.
    public let bitRate: Int?
}

/// A container and its streams.
public struct MediaInfo: Sendable, Equatable {
    public let file: String
    /// The demuxer's short name (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `wav`, ...).
    public let format: String
    /// Seconds, from the container when it states it, else the longest stream.
    public let duration: Double?
    public let bitRate: Int?
    public let streams: [StreamInfo]

    /// The first stream of a kind (the reader decodes FFmpeg's "best" stream, usually this one).
    public func first(_ kind: StreamKind) -> StreamInfo? { streams.first { $0.kind == kind } }
    public var audio: StreamInfo? { first(.audio) }
    public var video: StreamInfo? { first(.video) }
}

extension MediaFile {
    /// Everything a probe reports, from the header and `avformat_find_stream_info` (no decoding).
    func info() -> MediaInfo {
        let streams = (0..<Int(context.pointee.nb_streams)).map(streamInfo)
        let containerDuration = context.pointee.duration
        var duration: Double? = containerDuration > 0 && containerDuration != FFCode.noTimestamp
            ? Double(containerDuration) / Double(AV_TIME_BASE) : nil
        if duration == nil { duration = streams.compactMap(\.duration).max() }
        let format = context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
        let bitRate = context.pointee.bit_rate > 0 ? Int(context.pointee.bit_rate) : nil
        return MediaInfo(file: path, format: format, duration: duration, bitRate: bitRate, streams: streams)
    }

    /// The stream's duration in seconds, or nil when neither the stream nor the container says.
    func duration(ofStream index: Int) -> Double? {
        let s = stream(index).pointee
        if s.duration > 0 && s.duration != FFCode.noTimestamp { return Double(s.duration) * seconds(s.time_base) }
        let d = context.pointee.duration
        return d > 0 && d != FFCode.noTimestamp ? Double(d) / Double(AV_TIME_BASE) : nil
    }

    /// The stream's average frame rate (or its guessed real rate), nil when unknown.
    func frameRate(ofStream index: Int) -> Double? {
        let s = stream(index)
        let guessed = av_guess_frame_rate(context, s, nil)
        let rate = seconds(guessed)
        return rate > 0 && rate.isFinite ? rate : nil
    }

    private func streamInfo(_ index: Int) -> StreamInfo {
        let s = stream(index).pointee
        let par = s.codecpar.pointee
        let kind = StreamKind(par.codec_type)
        let codec = avcodec_get_name(par.codec_id).map { String(cString: $0) } ?? "unknown"
        let duration = duration(ofStream: index)
        let start = s.start_time != FFCode.noTimestamp ? Double(s.start_time) * seconds(s.time_base) : nil
        let isVideo = kind == .video
        let rate = isVideo ? frameRate(ofStream: index) : nil
        var frameCount: Int? = s.nb_frames > 0 ? Int(s.nb_frames) : nil
        let exact = frameCount != nil
        if frameCount == nil, isVideo, let rate, let duration { frameCount = Int((rate * duration).rounded()) }
        if frameCount == nil, kind == .audio, par.sample_rate > 0, par.frame_size > 0, let duration {
            frameCount = Int((duration * Double(par.sample_rate) / Double(par.frame_size)).rounded(.up))
        }
        let pixelFormat = isVideo ? av_get_pix_fmt_name(AVPixelFormat(par.format)).map { String(cString: $0) } : nil
        return StreamInfo(
            index: index, kind: kind, codec: codec, duration: duration, startTime: start,
            sampleRate: kind == .audio && par.sample_rate > 0 ? Int(par.sample_rate) : nil,
            channels: kind == .audio && par.ch_layout.nb_channels > 0 ? Int(par.ch_layout.nb_channels) : nil,
            width: isVideo && par.width > 0 ? Int(par.width) : nil,
            height: isVideo && par.height > 0 ? Int(par.height) : nil,
            frameRate: rate, pixelFormat: pixelFormat, frameCount: frameCount, frameCountIsExact: exact,
            bitRate: par.bit_rate > 0 ? Int(par.bit_rate) : nil)
    }
}
