// One encoder and its output stream inside a writer: opens the codec with deterministic settings
// (one thread, bit-exact), sends frames, and moves every packet it returns into the muxer.
import CFFmpeg

/// An open encoder feeding one stream of an output container. Owns the codec context and packet.
final class EncoderCore {
    let file: String
    let format: UnsafeMutablePointer<AVFormatContext>
    let codec: UnsafeMutablePointer<AVCodecContext>
    let stream: UnsafeMutablePointer<AVStream>
    private let packet: UnsafeMutablePointer<AVPacket>

    /// Finds `encoderName`, lets `configure` set the codec context up, opens it with `options`
    /// (private codec options such as x264's `crf`) and adds the stream.
    init(file: String, format: UnsafeMutablePointer<AVFormatContext>, encoderName: String, options: [String: String],
         configure: (UnsafeMutablePointer<AVCodecContext>, UnsafePointer<AVCodec>) throws(MediaError) -> Void) throws(MediaError) {
        guard let encoder = avcodec_find_encoder_by_name(encoderName) else {
            throw .unsupportedCodec(file: file, codec: encoderName)
        }
        guard let oformat = format.pointee.oformat,
              avformat_query_codec(oformat, encoder.pointee.id, FF_COMPLIANCE_NORMAL) == 1 else {
            let container = format.pointee.oformat.map { String(cString: $0.pointee.name) } ?? "this container"
            throw .encodeFailed(file: file, reason: "\(container) cannot hold \(encoderName)")
        }
        guard let codec = avcodec_alloc_context3(encoder), let packet = av_packet_alloc() else {
            throw .encodeFailed(file: file, reason: "out of memory")
        }
        var ownedCodec: UnsafeMutablePointer<AVCodecContext>? = codec
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        var ok = false
        defer { if !ok { avcodec_free_context(&ownedCodec); av_packet_free(&ownedPacket) } }

        try configure(codec, encoder)
        // One thread and bit-exact output: the same input gives the same bytes on every run.
        codec.pointee.thread_count = 1
        codec.pointee.flags |= Int32(AV_CODEC_FLAG_BITEXACT)
        if oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 { codec.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER) }
        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dictionary, key, value, 0) }
        let opened = avcodec_open2(codec, encoder, &dictionary)
        guard opened >= 0 else { throw .encodeFailed(file: file, reason: "cannot open \(encoderName): " + ffmpegMessage(opened)) }
        guard let stream = avformat_new_stream(format, nil) else { throw .encodeFailed(file: file, reason: "cannot add a stream") }
        let copied = avcodec_parameters_from_context(stream.pointee.codecpar, codec)
        guard copied >= 0 else { throw .encodeFailed(file: file, reason: ffmpegMessage(copied)) }
        stream.pointee.time_base = codec.pointee.time_base
        ok = true
        self.file = file
        self.format = format
        self.codec = codec
        self.stream = stream
        self.packet = packet
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = codec
        avcodec_free_context(&c)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }

    /// Encodes `frame` (nil drains the encoder at the end) and writes the packets that come out.
    func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
        let sent = avcodec_send_frame(codec, frame)
        guard sent >= 0 || (frame == nil && sent == FFCode.eof) else {
            throw .encodeFailed(file: file, reason: "encoding failed: " + ffmpegMessage(sent))
        }
        while true {
            let received = avcodec_receive_packet(codec, packet)
            if received == FFCode.again || received == FFCode.eof { return }
            guard received >= 0 else { throw .encodeFailed(file: file, reason: "encoding failed: " + ffmpegMessage(received)) }
            av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(format, packet)
            av_packet_unref(packet)
            guard written >= 0 else { throw .encodeFailed(file: file, reason: "cannot write a packet: " + ffmpegMessage(written)) }
        }
    }
}

/// An AVFrame with buffers for what `configure` set (format, size or samples and layout), freed
/// again if allocation fails; the encoders fill one of these per picture or block of samples.
func allocateFrame(file: String, _ configure: (UnsafeMutablePointer<AVFrame>) -> Void) throws(MediaError) -> UnsafeMutablePointer<AVFrame> {
    guard let frame = av_frame_alloc() else { throw .encodeFailed(file: file, reason: "out of memory") }
    configure(frame)
    let allocated = av_frame_get_buffer(frame, 0)
    guard allocated >= 0 else {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
        throw .encodeFailed(file: file, reason: "cannot allocate a frame: " + ffmpegMessage(allocated))
    }
    return frame
}
