// Audio and video of one window, aligned on timestamps: the frames are sampled at a fixed rate
// from the window's start, and the audio covers exactly the span those frames stand for.

/// One audio-visual training clip: `video.frameCount` frames at `video.frameRate` from `start`,
/// and `audio` covering [start, start + frameCount / frameRate) sample for sample.
public struct AVClip: Sendable, Equatable {
    public var audio: AudioClip
    public var video: VideoClip
    public var start: Double
    /// Samples filled with silence where the audio stream had none (it starts late or ends early).
    public var paddedSamples: Int

    public var duration: Double { Double(video.frameCount) / video.frameRate }
}

extension MediaReader {
    /// Decodes `window` of the best video and audio streams as one aligned clip. Video is sampled
    /// at `video.frameRate` (the stream's own rate when nil); audio is mono at `sampleRate`.
    public func clip(window: TimeWindow = .all, sampleRate: Int = 16_000, video options: VideoOptions = VideoOptions(),
                     requireComplete: Bool = false) throws(MediaError) -> AVClip {
        try MediaLimits.checkSampleRate(sampleRate)
        guard info.audio != nil else { throw .noStream(file: path, kind: .audio) }
        var options = options
        if options.frameRate == nil {
            let index = try file.bestStream(.video)
            guard let rate = file.frameRate(ofStream: index) else {
                throw .noData(file: path, reason: "the video stream states no frame rate; ask for one")
            }
            options.frameRate = rate
        }
        let video = try self.video(options, window: window, requireComplete: requireComplete)
        let span = Double(video.frameCount) / video.frameRate
        let wanted = Int((span * Double(sampleRate)).rounded())
        let sound = try audio(sampleRate: sampleRate, window: TimeWindow(start: window.start, duration: span),
                              requireComplete: requireComplete)
        let lead = min(wanted, max(0, Int(((sound.startTime - window.start) * Double(sampleRate)).rounded())))
        var samples = [Float](repeating: 0, count: wanted)
        let copied = min(sound.count, wanted - lead)
        samples.withUnsafeMutableBufferPointer { out in
            sound.samples.withUnsafeBufferPointer { source in
                guard copied > 0 else { return }
                (out.baseAddress! + lead).update(from: source.baseAddress!, count: copied)
            }
        }
        let aligned = AudioClip(samples: samples, sampleRate: sampleRate, startTime: window.start,
                                truncated: sound.truncated, corruptPackets: sound.corruptPackets)
        return AVClip(audio: aligned, video: video, start: window.start, paddedSamples: wanted - copied)
    }
}
