// How frames are sampled and converted: rate (by timestamp), size, resize filter, pixel format,
// normalisation, decoder threads.

/// A picture size in pixels.
public struct FrameSize: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// What `MediaReader.video` produces.
public struct VideoOptions: Sendable, Equatable {
    /// Frames per second to sample at, by timestamp (the frame showing at each sampling time);
    /// nil returns every decoded frame.
    public var frameRate: Double?
    /// Output size; nil keeps the stream's own.
    public var size: FrameSize?
    public var resize: ResizeFilter
    public var pixelFormat: PixelFormat
    public var normalization: PixelNormalization
    /// Decoding threads for one file (1 is best when a loader decodes several files at once).
    public var decoderThreads: Int

    public init(frameRate: Double? = nil, size: FrameSize? = nil, resize: ResizeFilter = .area,
                pixelFormat: PixelFormat = .rgb, normalization: PixelNormalization = .unit, decoderThreads: Int = 1) {
        self.frameRate = frameRate
        self.size = size
        self.resize = resize
        self.pixelFormat = pixelFormat
        self.normalization = normalization
        self.decoderThreads = decoderThreads
    }

    func validate() throws(MediaError) {
        if let frameRate { try MediaLimits.checkFrameRate(frameRate) }
        if let size { try MediaLimits.checkSize(width: size.width, height: size.height) }
        guard (0...64).contains(decoderThreads) else {
            throw .invalidArgument(name: "decoder threads", reason: "must be in 0...64 (got \(decoderThreads))")
        }
    }
}
