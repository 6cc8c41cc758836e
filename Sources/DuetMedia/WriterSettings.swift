// What a writer is asked to produce: the video and audio codecs Duet encodes and their settings.
import CFFmpeg

/// Video codecs the writer encodes.
public enum VideoCodec: String, Sendable, CaseIterable {
    /// H.264 through libx264, 4:2:0, constant quality (`quality` is x264's CRF).
    case h264
    /// MPEG-4 Part 2, 4:2:0 (`quality` is the fixed quantiser, 1 best ... 31).
    case mpeg4
    /// FFV1, lossless: gray stays 8-bit gray, RGB is stored as BGR0 (its 8-bit RGB layout). For exact tests.
    case ffv1

    /// Whether this FFmpeg build has the encoder (Debian's has all three; libx264 is optional
    /// in FFmpeg builds elsewhere).
    public var isAvailable: Bool { avcodec_find_encoder_by_name(encoderName) != nil }

    var encoderName: String {
        switch self {
        case .h264: return "libx264"
        case .mpeg4: return "mpeg4"
        case .ffv1: return "ffv1"
        }
    }
}

/// Audio codecs the writer encodes.
public enum AudioCodec: String, Sendable, CaseIterable {
    /// AAC-LC (FFmpeg's native encoder).
    case aac
    /// 16-bit PCM: a sample x is stored as round(x·32768) clamped, so k/32768 round-trips exactly.
    case pcm16
    /// 32-bit float PCM: exact.
    case pcmFloat

    var encoderName: String {
        switch self {
        case .aac: return "aac"
        case .pcm16: return "pcm_s16le"
        case .pcmFloat: return "pcm_f32le"
        }
    }
}

/// A video stream to write: frames come in as 8-bit gray or RGB pictures of `width`×`height`.
public struct VideoStreamSettings: Sendable, Equatable {
    public var codec: VideoCodec
    public var width: Int
    public var height: Int
    /// Frames per second; fractional rates such as 29.97 are kept as a rational.
    public var frameRate: Double
    public var input: PixelFormat
    /// CRF for H.264 (default 18, visually lossless), quantiser for MPEG-4 (default 2).
    public var quality: Int?
    /// A key frame at least every this many frames (default: one every 2 s, so seeks stay cheap).
    public var keyFrameInterval: Int?
    /// libx264's speed preset (`ultrafast` ... `veryslow`); default `medium`.
    public var preset: String?

    public init(codec: VideoCodec, width: Int, height: Int, frameRate: Double, input: PixelFormat = .rgb,
                quality: Int? = nil, keyFrameInterval: Int? = nil, preset: String? = nil) {
        self.codec = codec
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.input = input
        self.quality = quality
        self.keyFrameInterval = keyFrameInterval
        self.preset = preset
    }
}

/// An audio stream to write: samples come in as Float32, interleaved when `channels` > 1.
public struct AudioStreamSettings: Sendable, Equatable {
    public var codec: AudioCodec
    public var sampleRate: Int
    public var channels: Int
    /// Bits per second for AAC (default 128 kb/s per channel pair).
    public var bitRate: Int?

    public init(codec: AudioCodec, sampleRate: Int, channels: Int = 1, bitRate: Int? = nil) {
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitRate = bitRate
    }
}
