// Decoded frames as Duet hands them on: [T, C, H, W] Float32 after normalisation, with the time
// each frame stands for.

/// Frames as one [frames, channels, height, width] buffer.
public struct VideoClip: Sendable, Equatable {
    public var values: [Float]
    public var frameCount: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    /// The presentation time each frame stands for (the sampling time when a frame rate was asked
    /// for, else the decoded frame's own timestamp).
    public var timestamps: [Double]
    /// Frames per second of the output (the requested rate, or the stream's average rate).
    public var frameRate: Double
    /// True when the file ended (or broke off) before the end its header promises for the window.
    public var truncated: Bool
    /// Packets the decoder rejected as corrupt and skipped.
    public var corruptPackets: Int

    public init(values: [Float], frameCount: Int, channels: Int, height: Int, width: Int, timestamps: [Double],
                frameRate: Double, truncated: Bool = false, corruptPackets: Int = 0) {
        self.values = values
        self.frameCount = frameCount
        self.channels = channels
        self.height = height
        self.width = width
        self.timestamps = timestamps
        self.frameRate = frameRate
        self.truncated = truncated
        self.corruptPackets = corruptPackets
    }

    public var shape: [Int] { [frameCount, channels, height, width] }
    /// Floats per frame.
    public var frameSize: Int { channels * height * width }
    public var startTime: Double { timestamps.first ?? 0 }
}

/// Per-channel (x/255 − mean) / std, applied while converting 8-bit pixels to floats.
public struct PixelNormalization: Sendable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    /// mean and std with one value for every channel (or one for all).
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Values in [0, 1].
    public static let unit = PixelNormalization(mean: [0], std: [1])
    /// ImageNet's RGB statistics (timm, torchvision).
    public static let imageNet = PixelNormalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    /// The gray lip-reading convention of AV-HuBERT and RAVEn: mean 0.421, std 0.165.
    public static let lipReading = PixelNormalization(mean: [0.421], std: [0.165])

    /// A 256-entry table per channel, so conversion is one lookup per pixel.
    func tables(channels: Int) throws(MediaError) -> [[Float]] {
        guard (mean.count == 1 || mean.count == channels), (std.count == 1 || std.count == channels) else {
            throw .invalidArgument(name: "normalisation", reason: "needs 1 or \(channels) means and stds (got \(mean.count) and \(std.count))")
        }
        return try (0..<channels).map { (c) throws(MediaError) -> [Float] in
            let m = mean.count == 1 ? mean[0] : mean[c]
            let s = std.count == 1 ? std[0] : std[c]
            guard s.isFinite, s != 0, m.isFinite else {
                throw .invalidArgument(name: "normalisation", reason: "std must be finite and non-zero, mean finite (channel \(c): mean \(m), std \(s))")
            }
            return (0..<256).map { (Float($0) / 255 - m) / s }
        }
    }
}
