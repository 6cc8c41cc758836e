// swresample from whatever the decoder produces (any sample format, layout and rate) to mono
// Float32 at one rate. Channels are averaged, as torchaudio users do with `.mean(0)`, rather than
// FFmpeg's default downmix, which adds channels at -3 dB.
import CFFmpeg

/// Converts decoded audio frames to mono Float32 at `outputRate`, rebuilding itself when the
/// input's format, layout or rate changes mid-stream.
final class Resampler {
    let outputRate: Int
    private let file: String
    private var context: OpaquePointer?
    private var input: (format: Int32, channels: Int32, rate: Int32) = (-1, 0, 0)

    init(outputRate: Int, file: String) {
        self.outputRate = outputRate
        self.file = file
    }

    deinit { swr_free(&context) }

    /// Appends `frame`'s samples, converted, to `out`.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, into out: inout [Float]) throws(MediaError) {
        let f = frame.pointee
        guard f.nb_samples > 0 else { return }
        if (f.format, f.ch_layout.nb_channels, f.sample_rate) != input {
            try configure(for: frame)
        }
        let data = UnsafeMutableRawPointer(f.extended_data).map { $0.assumingMemoryBound(to: UnsafePointer<UInt8>?.self) }
        try run(data, count: f.nb_samples, into: &out)
    }

    /// Appends what the filter still holds (the last half-filter of samples).
    func flush(into out: inout [Float]) throws(MediaError) {
        guard context != nil else { return }
        try run(nil, count: 0, into: &out)
    }

    private func run(_ data: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, count: Int32, into out: inout [Float]) throws(MediaError) {
        let capacity = Int(swr_get_out_samples(context, count))
        guard capacity > 0 else { return }
        let old = out.count
        out.append(contentsOf: repeatElement(0, count: capacity))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var plane: UnsafeMutablePointer<UInt8>? = UnsafeMutableRawPointer(buffer.baseAddress! + old).assumingMemoryBound(to: UInt8.self)
            return swr_convert(context, &plane, Int32(capacity), data, count)
        }
        guard written >= 0 else {
            out.removeLast(capacity)
            throw .decodeFailed(file: file, reason: "resampling failed: " + ffmpegMessage(written))
        }
        out.removeLast(capacity - Int(written))
    }

    private func configure(for frame: UnsafeMutablePointer<AVFrame>) throws(MediaError) {
        swr_free(&context)
        let f = frame.pointee
        let channels = f.ch_layout.nb_channels
        guard channels > 0, f.sample_rate > 0 else {
            throw .decodeFailed(file: file, reason: "the decoder gave \(channels) channels at \(f.sample_rate) Hz")
        }
        var inLayout = AVChannelLayout()
        defer { av_channel_layout_uninit(&inLayout) }
        if f.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_default(&inLayout, channels)
        } else {
            av_channel_layout_copy(&inLayout, &frame.pointee.ch_layout)
        }
        var outLayout = AVChannelLayout()
        defer { av_channel_layout_uninit(&outLayout) }
        av_channel_layout_default(&outLayout, 1)
        var made = swr_alloc_set_opts2(&context, &outLayout, AV_SAMPLE_FMT_FLT, Int32(outputRate),
                                       &inLayout, AVSampleFormat(f.format), f.sample_rate, 0, nil)
        if made >= 0 {
            let weights = [Double](repeating: 1 / Double(channels), count: Int(channels))
            made = swr_set_matrix(context, weights, channels)
        }
        if made >= 0 { made = swr_init(context) }
        guard made >= 0 else {
            swr_free(&context)
            throw .decodeFailed(file: file, reason: "cannot set up resampling from \(f.sample_rate) Hz to \(outputRate) Hz: " + ffmpegMessage(made))
        }
        input = (f.format, channels, f.sample_rate)
    }
}
