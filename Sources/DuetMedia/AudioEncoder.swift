// The writer's audio half: buffers interleaved Float32 samples into the codec's frame size,
// converts them to its sample format (planar float for AAC, int16 or float PCM) and encodes.
import CFFmpeg

final class AudioEncoder {
    let settings: AudioStreamSettings
    let core: EncoderCore
    private let frame: UnsafeMutablePointer<AVFrame>
    /// Samples per frame the codec takes (1024 for AAC; PCM takes any, we use 1024).
    private let frameSize: Int
    private var pending: [Float] = []
    private(set) var sampleCount: Int64 = 0

    init(file: String, format: UnsafeMutablePointer<AVFormatContext>, settings s: AudioStreamSettings) throws(MediaError) {
        try MediaLimits.checkSampleRate(s.sampleRate)
        guard (1...8).contains(s.channels) else {
            throw .invalidArgument(name: "channels", reason: "must be in 1...8 (got \(s.channels))")
        }
        core = try EncoderCore(file: file, format: format, encoderName: s.codec.encoderName, options: [:]) { codec, encoder throws(MediaError) in
            codec.pointee.sample_rate = Int32(s.sampleRate)
            av_channel_layout_default(&codec.pointee.ch_layout, Int32(s.channels))
            codec.pointee.time_base = AVRational(num: 1, den: Int32(s.sampleRate))
            switch s.codec {
            case .aac:
                codec.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
                codec.pointee.bit_rate = Int64(s.bitRate ?? 64_000 * max(2, s.channels))
            case .pcm16: codec.pointee.sample_fmt = AV_SAMPLE_FMT_S16
            case .pcmFloat: codec.pointee.sample_fmt = AV_SAMPLE_FMT_FLT
            }
            if s.codec == .aac, let rates = encoder.pointee.supported_samplerates {
                var i = 0, supported = false
                while rates[i] != 0 { supported = supported || rates[i] == Int32(s.sampleRate); i += 1 }
                guard supported else { throw .invalidArgument(name: "sample rate", reason: "AAC cannot encode \(s.sampleRate) Hz") }
            }
        }
        let codecFrame = Int(core.codec.pointee.frame_size)
        frameSize = codecFrame > 0 ? codecFrame : 1024
        let codec = core.codec
        let samples = frameSize
        frame = try allocateFrame(file: file) { frame in
            frame.pointee.format = codec.pointee.sample_fmt.rawValue
            frame.pointee.nb_samples = Int32(samples)
            frame.pointee.sample_rate = Int32(s.sampleRate)
            av_channel_layout_copy(&frame.pointee.ch_layout, &codec.pointee.ch_layout)
        }
        self.settings = s
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }

    /// Queues interleaved samples and encodes every full frame.
    func append(_ samples: UnsafeBufferPointer<Float>) throws(MediaError) {
        guard samples.count % settings.channels == 0 else {
            throw .invalidArgument(name: "audio samples", reason: "\(samples.count) values do not split into \(settings.channels) channels")
        }
        pending.append(contentsOf: samples)
        let perFrame = frameSize * settings.channels
        var used = 0
        while pending.count - used >= perFrame {
            try encode(from: used, count: frameSize)
            used += perFrame
        }
        pending.removeFirst(used)
    }

    /// Encodes what is left (a short last frame, zero-padded where the codec needs full frames)
    /// and drains the encoder.
    func finish() throws(MediaError) {
        let left = pending.count / settings.channels
        if left > 0 {
            let variable = core.codec.pointee.codec.pointee.capabilities & (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE) != 0
            if !variable { pending.append(contentsOf: repeatElement(0, count: (frameSize - left) * settings.channels)) }
            try encode(from: 0, count: variable ? left : frameSize)
            pending.removeAll()
        }
        try core.send(nil)
    }

    private func encode(from start: Int, count: Int) throws(MediaError) {
        let writable = av_frame_make_writable(frame)
        guard writable >= 0 else { throw .encodeFailed(file: core.file, reason: ffmpegMessage(writable)) }
        frame.pointee.nb_samples = Int32(count)
        let channels = settings.channels
        pending.withUnsafeBufferPointer { all in
            let source = all.baseAddress! + start
            switch settings.codec {
            case .aac:
                for c in 0..<channels {
                    let plane = UnsafeMutableRawPointer(frame.pointee.extended_data[c]!).assumingMemoryBound(to: Float.self)
                    for i in 0..<count { plane[i] = source[i * channels + c] }
                }
            case .pcm16:
                let out = UnsafeMutableRawPointer(frame.pointee.extended_data[0]!).assumingMemoryBound(to: Int16.self)
                for i in 0..<count * channels {
                    let v = (source[i] * 32768).rounded()
                    out[i] = Int16(v < -32768 ? -32768 : (v > 32767 ? 32767 : (v.isNaN ? 0 : v)))
                }
            case .pcmFloat:
                let out = UnsafeMutableRawPointer(frame.pointee.extended_data[0]!).assumingMemoryBound(to: Float.self)
                for i in 0..<count * channels { out[i] = source[i] }
            }
        }
        frame.pointee.pts = sampleCount
        sampleCount += Int64(count)
        try core.send(frame)
    }
}
