// A span of presentation time to decode: a start and an optional duration, in seconds.

/// The part of a file to decode. Times are presentation times in seconds, as ffprobe shows them.
public struct TimeWindow: Sendable, Equatable {
    public var start: Double
    /// nil decodes to the end of the stream.
    public var duration: Double?

    public init(start: Double = 0, duration: Double? = nil) {
        self.start = start
        self.duration = duration
    }

    /// The whole stream.
    public static let all = TimeWindow()

    public var end: Double? { duration.map { start + $0 } }

    func validate() throws(MediaError) {
        guard start.isFinite, start >= 0 else { throw .invalidArgument(name: "window start", reason: "must be a finite time ≥ 0 (got \(start))") }
        if let duration {
            guard duration.isFinite, duration > 0 else { throw .invalidArgument(name: "window duration", reason: "must be a finite time > 0 (got \(duration))") }
        }
    }
}
