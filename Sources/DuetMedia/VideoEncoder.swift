// The writer's video half: converts 8-bit gray or RGB pictures to the codec's pixel format with
// swscale and encodes them with frame-count timestamps.
import CFFmpeg

final class VideoEncoder {
    let settings: VideoStreamSettings
    let core: EncoderCore
    private let frame: UnsafeMutablePointer<AVFrame>
    private let scaler: FrameScaler
    /// One picture plus FFmpeg's 64 bytes of input padding, zeroed: swscale's SIMD input readers
    /// read past the end of a packed RGB picture (valgrind: 16 bytes at the last row), and the
    /// caller's array has no slack. (Those bytes did not reach the output: the clips' bytes still
    /// vary with MALLOC_PERTURB_ with this copy; see README "Not done yet".)
    private let source: UnsafeMutablePointer<UInt8>
    private let sourceCount: Int
    private(set) var frameCount: Int64 = 0

    init(file: String, format: UnsafeMutablePointer<AVFormatContext>, settings s: VideoStreamSettings) throws(MediaError) {
        try MediaLimits.checkSize(width: s.width, height: s.height)
        try MediaLimits.checkFrameRate(s.frameRate)
        let pixelFormat = VideoEncoder.pixelFormat(for: s)
        if pixelFormat == AV_PIX_FMT_YUV420P, s.width % 2 != 0 || s.height % 2 != 0 {
            throw .invalidArgument(name: "frame size", reason: "\(s.codec.rawValue) stores 4:2:0 and needs an even width and height (got \(s.width)×\(s.height))")
        }
        let rate = av_d2q(s.frameRate, 1_000_000)
        var options: [String: String] = [:]
        switch s.codec {
        case .h264:
            options["crf"] = String(s.quality ?? 18)
            options["preset"] = s.preset ?? "medium"
            if let params = VideoEncoder.x264CPUParams { options["x264-params"] = params }
        case .ffv1:
            options["slicecrc"] = "1"
        case .mpeg4:
            break
        }
        core = try EncoderCore(file: file, format: format, encoderName: s.codec.encoderName, options: options) { codec, _ in
            codec.pointee.width = Int32(s.width)
            codec.pointee.height = Int32(s.height)
            codec.pointee.pix_fmt = pixelFormat
            codec.pointee.time_base = AVRational(num: rate.den, den: rate.num)
            codec.pointee.framerate = rate
            codec.pointee.gop_size = Int32(s.keyFrameInterval ?? max(1, Int((2 * s.frameRate).rounded())))
            codec.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            if s.codec == .mpeg4 {
                codec.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
                codec.pointee.global_quality = Int32(FF_QP2LAMBDA) * Int32(s.quality ?? 2)
            }
        }
        core.stream.pointee.avg_frame_rate = rate
        frame = try allocateFrame(file: file) { frame in
            frame.pointee.format = pixelFormat.rawValue
            frame.pointee.width = Int32(s.width)
            frame.pointee.height = Int32(s.height)
        }
        self.settings = s
        scaler = FrameScaler(file: file)
        sourceCount = s.width * s.height * s.input.channels
        source = .allocate(capacity: sourceCount + Int(AV_INPUT_BUFFER_PADDING_SIZE))
        source.initialize(repeating: 0, count: sourceCount + Int(AV_INPUT_BUFFER_PADDING_SIZE))
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
        source.deallocate()
    }

    /// x264's instruction sets on a processor with AVX-512: AVX2 and below. With its AVX-512
    /// routines (x264 164, Debian 12) the same frames gave other bytes from one write to the next on
    /// the 2026-12 Intel machine (and other bytes again under each `MALLOC_PERTURB_`, so they read
    /// memory never written); with `asm=AVX2` three writes and three `MALLOC_PERTURB_` values gave
    /// one set of bytes. Elsewhere x264 chooses as it always does (nil).
    static let x264CPUParams: String? = av_get_cpu_flags() & AV_CPU_FLAG_AVX512 != 0 ? "asm=AVX2" : nil

    /// 4:2:0 for the lossy codecs (what players expect); for FFV1 the input's own layout, losslessly.
    static func pixelFormat(for s: VideoStreamSettings) -> AVPixelFormat {
        guard s.codec == .ffv1 else { return AV_PIX_FMT_YUV420P }
        return s.input == .gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR0
    }

    /// Encodes one picture: `height` rows of `width` pixels, `input.channels` bytes each, packed.
    func append(_ pixels: UnsafeBufferPointer<UInt8>) throws(MediaError) {
        let s = settings
        let expected = s.width * s.height * s.input.channels
        guard pixels.count == expected, let base = pixels.baseAddress else {
            throw .invalidArgument(name: "video frame", reason: "expected \(expected) bytes (\(s.height)×\(s.width)×\(s.input.channels)), got \(pixels.count)")
        }
        let writable = av_frame_make_writable(frame)
        guard writable >= 0 else { throw .encodeFailed(file: core.file, reason: ffmpegMessage(writable)) }
        // swscale reads four plane pointers and four strides whatever the format: the unused ones
        // must be there (nil, 0), not whatever follows a single variable on the stack.
        source.update(from: base, count: sourceCount)
        var planes: [UnsafePointer<UInt8>?] = [UnsafePointer(source), nil, nil, nil]
        var strides: [Int32] = [Int32(s.width * s.input.channels), 0, 0, 0]
        try withPlanes(of: frame) { (targets, targetStrides) throws(MediaError) in
            try scaler.scale(from: s.input.ffmpeg, width: s.width, height: s.height, planes: &planes, strides: &strides,
                             to: AVPixelFormat(frame.pointee.format), width: s.width, height: s.height,
                             planes: targets, strides: targetStrides, filter: .bicubic)
        }
        frame.pointee.pts = frameCount
        frameCount += 1
        try core.send(frame)
    }
}
