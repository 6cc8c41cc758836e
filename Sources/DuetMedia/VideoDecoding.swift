// Video to [T, C, H, W] Float32 for a time window: seek to the window, decode, sample frames by
// timestamp, scale and normalise only the frames kept.
import CFFmpeg

extension MediaReader {
    /// Decodes the best video stream in `window` as `options` asks. A file that ends early
    /// yields what is there with `truncated` set, or throws `.truncated` when `requireComplete`.
    public func video(_ options: VideoOptions = VideoOptions(), window: TimeWindow = .all,
                      requireComplete: Bool = false) throws(MediaError) -> VideoClip {
        try window.validate()
        try options.validate()
        let decoder = try StreamDecoder(file: file, kind: .video, threads: options.decoderThreads)
        let codec = decoder.codec.pointee
        let size = options.size ?? FrameSize(width: Int(codec.width), height: Int(codec.height))
        guard size.width > 0, size.height > 0 else {
            throw .noData(file: path, reason: "the video stream states no picture size")
        }
        try MediaLimits.checkSize(width: size.width, height: size.height)
        let streamRate = file.frameRate(ofStream: decoder.streamIndex)
        let rate = options.frameRate ?? streamRate ?? 25
        let promised = promisedEnd(ofStream: decoder.streamIndex)
        let span = window.duration ?? promised.map { max(0, $0 - window.start) }
        let expectedFrames = span.map { Int(($0 * rate).rounded(.up)) } ?? 0
        let frameFloats = options.pixelFormat.channels * size.width * size.height
        try MediaLimits.checkOutput(Double(expectedFrames) * Double(frameFloats), what: "video window")

        let converter = try FrameConverter(file: path, size: size, format: options.pixelFormat, resize: options.resize,
                                           normalization: options.normalization)
        let sampler = try FrameSampler(window: window, rate: options.frameRate, converter: converter, expectedFrames: expectedFrames)
        try decoder.seek(to: window.start)
        let frameLength = 1 / (streamRate ?? rate)
        try decoder.decode { (frame, time) throws(MediaError) -> Bool in
            let ticks = duet_frame_duration(frame)
            let duration = ticks > 0 ? Double(ticks) * decoder.timeBase : frameLength
            return try sampler.take(frame, at: time, duration: duration)
        }
        try sampler.finish()

        let count = sampler.timestamps.count
        guard count > 0 else {
            throw .noData(file: path, reason: sampler.decodedEnd == nil
                ? "the video stream holds no decodable frames" + (decoder.readError.map { " (\($0))" } ?? "")
                : "no video frames at or after \(formatSeconds(window.start)) s")
        }
        var clip = VideoClip(values: sampler.values, frameCount: count, channels: options.pixelFormat.channels,
                             height: size.height, width: size.width, timestamps: sampler.timestamps, frameRate: rate,
                             corruptPackets: decoder.corruptPackets)
        // A frame and a half of slack covers rounding of durations in headers.
        clip.truncated = try isIncomplete(stream: decoder.streamIndex, decodedEnd: sampler.decodedEnd ?? window.start,
                                          windowEnd: window.end, readError: decoder.readError,
                                          slack: max(0.05, 1.5 * frameLength), requireComplete: requireComplete)
        return clip
    }
}
