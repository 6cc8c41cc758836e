// The public writer: encodes pictures and samples into a container chosen by the file's
// extension (MP4, MOV, MKV, WebM, AVI, WAV, ...). Single-threaded and bit-exact, so the same
// input gives the same bytes.
import CFFmpeg
import Foundation

/// Writes one media file. Call `finish()` at the end; a writer dropped without it closes the
/// file unfinished (its index or trailer missing).
public final class MediaWriter {
    public let path: String
    private let format: UnsafeMutablePointer<AVFormatContext>
    private var video: VideoEncoder?
    private var audio: AudioEncoder?
    private var finished = false

    /// Opens `path` for writing with the given streams (at least one). `container` overrides the
    /// format FFmpeg would guess from the extension (`"matroska"`, `"mp4"`, `"wav"`, ...).
    public init(path: String, video videoSettings: VideoStreamSettings? = nil, audio audioSettings: AudioStreamSettings? = nil,
                container: String? = nil) throws(MediaError) {
        MediaLog.installOnce()
        guard videoSettings != nil || audioSettings != nil else {
            throw .invalidArgument(name: "streams", reason: "a file needs a video or an audio stream")
        }
        var context: UnsafeMutablePointer<AVFormatContext>?
        let made = avformat_alloc_output_context2(&context, nil, container, path)
        guard made >= 0, let context else {
            throw .encodeFailed(file: path, reason: "no container format for this name" + (container.map { " (\($0))" } ?? " or extension") + ": " + ffmpegMessage(made))
        }
        self.path = path
        self.format = context
        // From here on deinit frees the context and whichever encoders exist, whatever throws.
        context.pointee.flags |= AVFMT_FLAG_BITEXACT
        if let videoSettings { video = try VideoEncoder(file: path, format: context, settings: videoSettings) }
        if let audioSettings { audio = try AudioEncoder(file: path, format: context, settings: audioSettings) }
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            let opened = avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE)
            guard opened >= 0 else { throw .encodeFailed(file: path, reason: "cannot create the file: " + ffmpegMessage(opened)) }
        }
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        let name = String(cString: context.pointee.oformat.pointee.name)
        // The index first, so a cut-short MP4 still opens and decodes up to the cut.
        if name == "mp4" || name == "mov" { av_dict_set(&options, "movflags", "+faststart", 0) }
        let header = avformat_write_header(context, &options)
        guard header >= 0 else { throw .encodeFailed(file: path, reason: "cannot write the header: " + ffmpegMessage(header)) }
    }

    deinit {
        video = nil
        audio = nil
        if format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&format.pointee.pb) }
        avformat_free_context(format)
    }

    /// Frames and samples written so far.
    public var frameCount: Int { Int(video?.frameCount ?? 0) }
    public var sampleCount: Int { Int(audio?.sampleCount ?? 0) }

    /// Appends one picture: `height` rows of `width` pixels of 1 (gray) or 3 (RGB) bytes, packed.
    public func appendFrame(_ pixels: UnsafeBufferPointer<UInt8>) throws(MediaError) {
        guard !finished else { throw .invalidArgument(name: "writer", reason: "\(path) is already finished") }
        guard let video else { throw .invalidArgument(name: "writer", reason: "\(path) has no video stream") }
        try video.append(pixels)
    }

    public func appendFrame(_ pixels: [UInt8]) throws(MediaError) {
        try pixels.withUnsafeBufferPointer { (p) throws(MediaError) in try appendFrame(p) }
    }

    /// Appends one picture given as [C, H, W] floats in [0, 1] (a VideoClip frame before
    /// normalisation), rounded to 8 bits.
    public func appendFrame(chw values: [Float]) throws(MediaError) {
        guard let video else { throw .invalidArgument(name: "writer", reason: "\(path) has no video stream") }
        let s = video.settings
        let channels = s.input.channels, plane = s.width * s.height
        guard values.count == channels * plane else {
            throw .invalidArgument(name: "video frame", reason: "expected \(channels * plane) floats (\(channels)×\(s.height)×\(s.width)), got \(values.count)")
        }
        var packed = [UInt8](repeating: 0, count: values.count)
        for c in 0..<channels {
            for i in 0..<plane {
                let v = (values[c * plane + i] * 255).rounded()
                packed[i * channels + c] = UInt8(v < 0 ? 0 : (v > 255 ? 255 : (v.isNaN ? 0 : v)))
            }
        }
        try appendFrame(packed)
    }

    /// Appends samples in [-1, 1], interleaved when the stream has several channels.
    public func appendAudio(_ samples: [Float]) throws(MediaError) {
        guard !finished else { throw .invalidArgument(name: "writer", reason: "\(path) is already finished") }
        guard let audio else { throw .invalidArgument(name: "writer", reason: "\(path) has no audio stream") }
        try samples.withUnsafeBufferPointer { (p) throws(MediaError) in try audio.append(p) }
    }

    /// Drains the encoders, writes the trailer (index, durations) and closes the file.
    public func finish() throws(MediaError) {
        guard !finished else { return }
        finished = true
        try video?.core.send(nil)
        try audio?.finish()
        let trailer = av_write_trailer(format)
        guard trailer >= 0 else { throw .encodeFailed(file: path, reason: "cannot write the trailer: " + ffmpegMessage(trailer)) }
        if format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            let closed = avio_closep(&format.pointee.pb)
            guard closed >= 0 else { throw .encodeFailed(file: path, reason: "cannot close the file: " + ffmpegMessage(closed)) }
        }
    }
}
