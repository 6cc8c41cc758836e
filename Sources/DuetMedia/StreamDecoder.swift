// One stream's decoder: seeks, reads packets, feeds the codec and hands each decoded frame to a
// closure. It owns the codec context, packet and frame, freed in deinit on every path.
import CFFmpeg

/// Decodes one stream of an open file, frame by frame, in presentation order.
final class StreamDecoder {
    let file: MediaFile
    let streamIndex: Int
    let codec: UnsafeMutablePointer<AVCodecContext>
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frame: UnsafeMutablePointer<AVFrame>
    /// Seconds per tick of the stream's timestamps.
    let timeBase: Double
    /// Packets or frames the codec rejected as corrupt (skipped, decoding went on).
    private(set) var corruptPackets = 0
    /// Why reading stopped early, when it was not a clean end of file.
    private(set) var readError: String?
    /// The time of the last frame handed out plus its duration, for frames without timestamps.
    private var nextTime: Double?

    /// Opens FFmpeg's best stream of `kind` with `threads` decoding threads (0 lets FFmpeg pick).
    init(file: MediaFile, kind: StreamKind, threads: Int = 1) throws(MediaError) {
        let index = try file.bestStream(kind)
        let stream = file.stream(index)
        let parameters = stream.pointee.codecpar!
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw .unsupportedCodec(file: file.path, codec: avcodec_get_name(parameters.pointee.codec_id).map { String(cString: $0) } ?? "unknown")
        }
        guard let codec = avcodec_alloc_context3(decoder) else { throw .decodeFailed(file: file.path, reason: "out of memory") }
        var owned: UnsafeMutablePointer<AVCodecContext>? = codec
        var ok = false
        defer { if !ok { avcodec_free_context(&owned) } }
        let copied = avcodec_parameters_to_context(codec, parameters)
        guard copied >= 0 else { throw .decodeFailed(file: file.path, reason: ffmpegMessage(copied)) }
        codec.pointee.thread_count = Int32(max(0, threads))
        codec.pointee.pkt_timebase = stream.pointee.time_base
        let opened = avcodec_open2(codec, decoder, nil)
        guard opened >= 0 else { throw .decodeFailed(file: file.path, reason: "cannot open the decoder: " + ffmpegMessage(opened)) }
        guard let packet = av_packet_alloc() else { throw .decodeFailed(file: file.path, reason: "out of memory") }
        guard let frame = av_frame_alloc() else {
            var p: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&p)
            throw .decodeFailed(file: file.path, reason: "out of memory")
        }
        ok = true
        self.file = file
        self.streamIndex = index
        self.codec = codec
        self.packet = packet
        self.frame = frame
        self.timeBase = seconds(stream.pointee.time_base)
        file.discardAll(except: index)
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = codec
        avcodec_free_context(&c)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }

    /// Positions the demuxer so the next frames decoded start at or before `time` (a key frame),
    /// without decoding from the start. A fresh file read from 0 needs no seek.
    func seek(to time: Double) throws(MediaError) {
        if !file.consumed && time <= (file.startTime(ofStream: streamIndex) ?? 0) { return }
        let ticks = timeBase > 0 ? Int64((time / timeBase).rounded(.down)) : 0
        var result = av_seek_frame(file.context, Int32(streamIndex), ticks, AVSEEK_FLAG_BACKWARD)
        if result < 0 {
            // Some streams cannot seek backward to a key frame before `ticks` (e.g. the first
            // one is later); the start of the file is always a safe place to decode from.
            result = avformat_seek_file(file.context, -1, Int64.min, 0, 0, 0)
        }
        guard result >= 0 else {
            throw .decodeFailed(file: file.path, reason: "cannot seek to \(formatSeconds(time)) s: " + ffmpegMessage(result))
        }
        avcodec_flush_buffers(codec)
        nextTime = nil
    }

    /// Decodes frames in order, calling `body` with each frame and its time in seconds; `body`
    /// returns false to stop. Corrupt packets are counted and skipped; a read error ends the
    /// stream as at end of file and is kept in `readError`.
    func decode(_ body: (UnsafeMutablePointer<AVFrame>, Double) throws(MediaError) -> Bool) throws(MediaError) {
        file.consumed = true
        var draining = false
        while true {
            if !draining {
                let read = av_read_frame(file.context, packet)
                if read < 0 {
                    if read != FFCode.eof { readError = ffmpegMessage(read) }
                    draining = true
                    _ = avcodec_send_packet(codec, nil)
                } else {
                    let mine = Int(packet.pointee.stream_index) == streamIndex
                    let sent = mine ? avcodec_send_packet(codec, packet) : 0
                    av_packet_unref(packet)
                    if !mine { continue }
                    if sent < 0 && sent != FFCode.again { corruptPackets += 1 }
                }
            }
            // Take every frame the codec has ready before feeding it more.
            while true {
                let received = avcodec_receive_frame(codec, frame)
                if received == FFCode.again { break }
                if received == FFCode.eof { return }
                if received < 0 {
                    corruptPackets += 1
                    if draining { return }
                    break
                }
                let time = timeOf(frame)
                let keepGoing: Bool
                do {
                    keepGoing = try body(frame, time)
                } catch {
                    av_frame_unref(frame)
                    throw error
                }
                av_frame_unref(frame)
                if !keepGoing { return }
            }
        }
    }

    /// The frame's presentation time: its best-effort timestamp, or the previous frame's end.
    private func timeOf(_ frame: UnsafeMutablePointer<AVFrame>) -> Double {
        let f = frame.pointee
        let stamp = f.best_effort_timestamp != FFCode.noTimestamp ? f.best_effort_timestamp : f.pts
        let time = stamp != FFCode.noTimestamp ? Double(stamp) * timeBase : (nextTime ?? 0)
        let ticks = duet_frame_duration(frame)
        var length = ticks > 0 ? Double(ticks) * timeBase : 0
        if length == 0, f.sample_rate > 0 { length = Double(f.nb_samples) / Double(f.sample_rate) }
        nextTime = time + length
        return time
    }
}
