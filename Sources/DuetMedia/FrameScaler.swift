// swscale behind one small class: converts and resizes a picture between pixel formats, reusing
// its SwsContext while the geometry stays the same, freeing it in deinit.
import CFFmpeg

/// How a picture is resized.
public enum ResizeFilter: String, Sendable, CaseIterable {
    /// Averages every source pixel a target pixel covers (best for shrinking; OpenCV's INTER_AREA).
    case area
    case bilinear
    case bicubic

    var swsFlag: Int32 {
        switch self {
        case .area: return SWS_AREA
        case .bilinear: return SWS_BILINEAR
        case .bicubic: return SWS_BICUBIC
        }
    }
}

/// Pixel layouts Duet hands out and accepts: 8-bit gray (one channel) or 8-bit RGB (three).
public enum PixelFormat: String, Sendable, CaseIterable {
    case gray, rgb

    public var channels: Int { self == .gray ? 1 : 3 }
    var ffmpeg: AVPixelFormat { self == .gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24 }
}

/// A reusable swscale conversion.
final class FrameScaler {
    private var context: OpaquePointer?
    private let file: String

    init(file: String) { self.file = file }

    deinit { sws_freeContext(context) }

    /// Converts `source` (planes and strides as FFmpeg lays them out) of `width`×`height` in
    /// `format` to `target`'s planes at `targetWidth`×`targetHeight` in `targetFormat`.
    func scale(from format: AVPixelFormat, width: Int, height: Int,
               planes: UnsafePointer<UnsafePointer<UInt8>?>, strides: UnsafePointer<Int32>,
               to targetFormat: AVPixelFormat, width targetWidth: Int, height targetHeight: Int,
               planes targetPlanes: UnsafePointer<UnsafeMutablePointer<UInt8>?>, strides targetStrides: UnsafePointer<Int32>,
               filter: ResizeFilter) throws(MediaError) {
        // Same flags as the ffmpeg command line's auto-inserted scaler (bicubic) when only the
        // format changes, so gray frames equal `ffmpeg -pix_fmt gray` bit for bit.
        let sameSize = width == targetWidth && height == targetHeight
        let flags = sameSize ? SWS_BICUBIC : filter.swsFlag
        context = sws_getCachedContext(context, Int32(width), Int32(height), format,
                                       Int32(targetWidth), Int32(targetHeight), targetFormat, flags, nil, nil, nil)
        guard let context else {
            throw .decodeFailed(file: file, reason: "swscale cannot convert \(pixelFormatName(format)) \(width)×\(height) to \(pixelFormatName(targetFormat)) \(targetWidth)×\(targetHeight)")
        }
        let rows = sws_scale(context, planes, strides, 0, Int32(height), targetPlanes, targetStrides)
        guard rows > 0 else { throw .decodeFailed(file: file, reason: "swscale failed: " + ffmpegMessage(rows)) }
    }
}

/// FFmpeg's name for a pixel format.
func pixelFormatName(_ format: AVPixelFormat) -> String {
    av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "pixel format \(format.rawValue)"
}

/// Calls `body` with an AVFrame's plane pointers and strides in the types swscale takes.
func withPlanes<R>(of frame: UnsafeMutablePointer<AVFrame>,
                   _ body: (UnsafePointer<UnsafeMutablePointer<UInt8>?>, UnsafePointer<Int32>) throws(MediaError) -> R) throws(MediaError) -> R {
    let data = UnsafeMutableRawPointer(frame).advanced(by: MemoryLayout<AVFrame>.offset(of: \AVFrame.data)!)
        .assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
    let strides = UnsafeMutableRawPointer(frame).advanced(by: MemoryLayout<AVFrame>.offset(of: \AVFrame.linesize)!)
        .assumingMemoryBound(to: Int32.self)
    return try body(data, strides)
}
