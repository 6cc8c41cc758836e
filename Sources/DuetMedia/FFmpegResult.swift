// FFmpeg's negative return codes as text, and the small checks every call site needs.
import CFFmpeg

/// FFmpeg's description of an error code (`av_strerror`).
func ffmpegMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buffer, buffer.count)
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

/// The codes the decode loops branch on, fetched once from the shim.
enum FFCode {
    static let eof = duet_averror_eof()
    static let again = duet_averror_eagain()
    static let invalidData = duet_averror_invaliddata()
    static let noTimestamp = duet_nopts_value()
}

/// A rational as a Double (0 for a zero denominator, which FFmpeg uses for "unknown").
func seconds(_ r: AVRational) -> Double {
    r.den == 0 ? 0 : Double(r.num) / Double(r.den)
}
