// Picks which decoded frames become output frames: every frame in the window, or, at a requested
// rate, the frame nearest each sampling time (ties to the earlier), holding one decoded frame
// back until the next shows which is nearer. Converts only the frames it emits.
import CFFmpeg

final class FrameSampler {
    private let window: TimeWindow
    private let rate: Double?
    private let converter: FrameConverter
    /// The last decoded frame, not yet known to be past every target it is nearest to.
    private let held: UnsafeMutablePointer<AVFrame>
    private var heldTime: Double?
    /// Where `held`'s converted floats start in the output, once converted.
    private var heldOutput: Int?
    private var nextTarget = 0
    private(set) var values: [Float] = []
    private(set) var timestamps: [Double] = []
    /// The end of the last decoded frame (its time plus its duration).
    private(set) var decodedEnd: Double?
    private static let slack = 1e-6

    init(window: TimeWindow, rate: Double?, converter: FrameConverter, expectedFrames: Int) throws(MediaError) {
        guard let held = av_frame_alloc() else { throw .decodeFailed(file: converter.file, reason: "out of memory") }
        self.window = window
        self.rate = rate
        self.converter = converter
        self.held = held
        values.reserveCapacity(min(expectedFrames, 100_000) * converter.frameSize)
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = held
        av_frame_free(&f)
    }

    private var end: Double { window.end.map { $0 - FrameSampler.slack } ?? .infinity }

    private func target(_ k: Int) -> Double { window.start + Double(k) / (rate ?? 1) }

    /// Takes the next decoded frame (the sampler keeps its own reference); false once past the window.
    func take(_ frame: UnsafeMutablePointer<AVFrame>, at time: Double, duration: Double) throws(MediaError) -> Bool {
        decodedEnd = time + duration
        guard rate != nil else {
            if time >= end { return false }
            if time >= window.start - FrameSampler.slack { try emit(frame, time: time) }
            return true
        }
        if let heldTime {
            let midpoint = (heldTime + time) / 2 + FrameSampler.slack
            while target(nextTarget) < end, target(nextTarget) <= midpoint { try emitHeld() }
        }
        if target(nextTarget) >= end { return false }
        av_frame_unref(held)
        let referenced = av_frame_ref(held, frame)
        guard referenced >= 0 else { throw .decodeFailed(file: converter.file, reason: ffmpegMessage(referenced)) }
        heldTime = time
        heldOutput = nil
        return true
    }

    /// At the end of the stream: the last frame covers the targets up to its own end.
    func finish() throws(MediaError) {
        guard rate != nil, heldTime != nil, let decodedEnd else { return }
        while target(nextTarget) < min(end, decodedEnd - FrameSampler.slack) { try emitHeld() }
    }

    private func emitHeld() throws(MediaError) {
        let time = target(nextTarget)
        nextTarget += 1
        if let start = heldOutput {
            values.append(contentsOf: values[start..<start + converter.frameSize])
            timestamps.append(time)
        } else {
            heldOutput = values.count
            try emit(held, time: time)
        }
    }

    private func emit(_ frame: UnsafeMutablePointer<AVFrame>, time: Double) throws(MediaError) {
        try MediaLimits.checkOutput(Double(values.count + converter.frameSize), what: "video window")
        try converter.append(frame, to: &values)
        timestamps.append(time)
    }
}
