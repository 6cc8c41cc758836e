// Audio to mono Float32 at a requested rate for a time window: seek to the window, decode,
// resample, trim to the first sample at or after the window's start.
import CFFmpeg

extension MediaReader {
    /// Decodes the best audio stream in `window` to mono Float32 at `sampleRate` Hz (nil keeps
    /// the file's rate, and then no resampling happens). A file that ends early yields what is
    /// there with `truncated` set, or throws `.truncated` when `requireComplete` is true.
    public func audio(sampleRate: Int? = nil, window: TimeWindow = .all, requireComplete: Bool = false) throws(MediaError) -> AudioClip {
        try window.validate()
        let decoder = try StreamDecoder(file: file, kind: .audio)
        let sourceRate = Int(decoder.codec.pointee.sample_rate)
        let rate = sampleRate ?? sourceRate
        try MediaLimits.checkSampleRate(rate)
        let promised = promisedEnd(ofStream: decoder.streamIndex)
        if let duration = window.duration ?? promised.map({ $0 - window.start }) {
            try MediaLimits.checkOutput(duration * Double(rate), what: "audio window")
        }
        let wanted = window.duration.map { Int(($0 * Double(rate)).rounded()) }
        try decoder.seek(to: window.start)

        let resampler = Resampler(outputRate: rate, file: path)
        var samples: [Float] = []
        samples.reserveCapacity(wanted.map { $0 + 4096 } ?? 1 << 16)
        var firstTime: Double?
        var skip = 0
        try decoder.decode { (frame, time) throws(MediaError) -> Bool in
            if firstTime == nil {
                firstTime = time
                skip = max(0, Int(((window.start - time) * Double(rate)).rounded()))
            }
            try resampler.convert(frame, into: &samples)
            if let wanted { return samples.count < skip + wanted }
            return true
        }
        try resampler.flush(into: &samples)

        guard let firstTime, samples.count > skip else {
            throw .noData(file: path, reason: firstTime == nil
                ? "the audio stream holds no decodable samples" + (decoder.readError.map { " (\($0))" } ?? "")
                : "no audio at or after \(formatSeconds(window.start)) s")
        }
        let end = wanted.map { min(samples.count, skip + $0) } ?? samples.count
        let clip = AudioClip(samples: Array(samples[skip..<end]), sampleRate: rate,
                             startTime: max(window.start, firstTime), corruptPackets: decoder.corruptPackets)
        var marked = clip
        marked.truncated = try isIncomplete(stream: decoder.streamIndex, decodedEnd: clip.startTime + clip.duration,
                                            windowEnd: window.end, readError: decoder.readError, slack: 0.05,
                                            requireComplete: requireComplete)
        return marked
    }
}
