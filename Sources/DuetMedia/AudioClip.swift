// Decoded audio as Duet hands it on: mono Float32 samples at one rate, with where they start and
// whether the file was complete.

/// Mono samples in [-1, 1] (shape [count]) starting at `startTime` seconds.
public struct AudioClip: Sendable, Equatable {
    public var samples: [Float]
    public let sampleRate: Int
    /// The presentation time of `samples[0]`.
    public var startTime: Double
    /// True when the file ended (or broke off) before the end its header promises for this window.
    public var truncated: Bool
    /// Packets the decoder rejected as corrupt and skipped.
    public var corruptPackets: Int

    public init(samples: [Float], sampleRate: Int, startTime: Double = 0, truncated: Bool = false, corruptPackets: Int = 0) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.startTime = startTime
        self.truncated = truncated
        self.corruptPackets = corruptPackets
    }

    public var count: Int { samples.count }
    public var shape: [Int] { [samples.count] }
    /// Seconds of audio held.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}
