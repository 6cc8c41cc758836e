// What a dataset produces from each clip: which modalities, the window, the filterbank and its
// normalisation, the frame format, and the augmentations applied in training.
import DuetMedia

/// The streams a dataset reads.
public enum Modalities: String, Sendable, Equatable, CaseIterable {
    case audioVisual
    case audio
    case video

    public var hasAudio: Bool { self != .video }
    public var hasVideo: Bool { self != .audio }
}

/// Training draws windows, crops, flips and masks at random; evaluation takes the centre.
public enum DatasetMode: String, Sendable, Equatable {
    case training
    case evaluation
}

/// How frames are decoded: resized to `size`, then cut to `crop` (random in training, centred
/// in evaluation), normalised per channel.
public struct VideoFormat: Sendable, Equatable {
    public var pixelFormat: PixelFormat
    public var size: FrameSize
    public var crop: FrameSize?
    public var normalization: PixelNormalization
    /// After the crop, every pixel minus its mean over the clip's frames (`VideoClip.centredOverTime`),
    /// in training and evaluation alike.
    public var centredOverTime = false

    public init(pixelFormat: PixelFormat, size: FrameSize, crop: FrameSize? = nil, normalization: PixelNormalization,
                centredOverTime: Bool = false) {
        self.pixelFormat = pixelFormat
        self.size = size
        self.crop = crop
        self.normalization = normalization
        self.centredOverTime = centredOverTime
    }

    /// Lip reading as AV-HuBERT and RAVEn prepare it: gray 96×96 mouth regions cut to 88×88,
    /// normalised with mean 0.421 and std 0.165.
    public static let lipReading = VideoFormat(pixelFormat: .gray, size: FrameSize(width: 96, height: 96),
                                               crop: FrameSize(width: 88, height: 88), normalization: .lipReading)

    /// RGB frames resized to `size`×`size` (cut to `crop` when given), ImageNet-normalised.
    public static func rgb(size: Int, crop: Int? = nil) -> VideoFormat {
        VideoFormat(pixelFormat: .rgb, size: FrameSize(width: size, height: size),
                    crop: crop.map { FrameSize(width: $0, height: $0) }, normalization: .imageNet)
    }

    /// Gray frames resized to `size`×`size` (cut to `crop` when given), lip-reading-normalised.
    public static func gray(size: Int, crop: Int? = nil) -> VideoFormat {
        VideoFormat(pixelFormat: .gray, size: FrameSize(width: size, height: size),
                    crop: crop.map { FrameSize(width: $0, height: $0) }, normalization: .lipReading)
    }

    /// The size of the frames handed out.
    public var outputSize: FrameSize { crop ?? size }
}

/// Augmentations applied in training only (evaluation takes centre crops and nothing else).
public struct Augmentation: Sendable, Equatable {
    /// Probability of mirroring every frame of a clip left to right.
    public var flipProbability: Float = 0.5
    /// Runs of up to `videoMaskFrames` frames set to 0 (RAVEn / AV-HuBERT time masking).
    public var videoTimeMasks = 0
    public var videoMaskFrames = 0
    /// SpecAugment on the normalised filterbank: time masks of up to `specTimeWidth` frames and
    /// frequency masks of up to `specFrequencyWidth` bins (AudioMAE fine-tuning: 192 and 48).
    public var specTimeMasks = 0
    public var specTimeWidth = 0
    public var specFrequencyMasks = 0
    public var specFrequencyWidth = 0
    /// Per-clip photometric jitter of the frames (`VideoClip.photometricallyJittered`): contrast
    /// factor within 1 ± `videoContrast`, brightness offset within ± `videoBrightness`.
    public var videoContrast: Float = 0
    public var videoBrightness: Float = 0

    public init() {}

    /// No augmentation at all (crops stay random in training).
    public static var none: Augmentation {
        var a = Augmentation()
        a.flipProbability = 0
        return a
    }
}

/// Everything a dataset needs to turn a manifest entry into a sample.
public struct DatasetOptions: Sendable, Equatable {
    public var modalities: Modalities = .audioVisual
    public var mode: DatasetMode = .training
    /// The window length in seconds (clips shorter than it are taken whole and padded).
    public var clipSeconds = 2.0
    /// Audio is resampled to this rate (Hz).
    public var sampleRate = 16_000
    /// Frames are sampled at this rate by timestamp.
    public var fps = 25.0
    /// Kaldi filterbank settings (AudioMAE's: 128 mels, Hanning, 25 ms / 10 ms); the sample rate
    /// follows `sampleRate`.
    public var fbank = KaldiFbankOptions.audioMAE
    /// Filterbank frames per sample, padded with zeros or cut (AudioMAE's `target_length`);
    /// nil: the frames `clipSeconds` of audio give.
    public var audioFrames: Int?
    /// (x − mean) / (2·std) with the dataset's statistics (`duet data stats`); nil leaves the
    /// log-mel values as they are.
    public var normalization: FbankNormalization? = .audioSet
    public var video = VideoFormat.lipReading
    public var augmentation = Augmentation()

    public init() {}

    /// Mel bins (a shorthand for `fbank.melBins`).
    public var mels: Int {
        get { fbank.melBins }
        set { fbank.melBins = newValue }
    }

    /// Frames of a full window: `clipSeconds × fps`, rounded.
    public var videoFrames: Int { max(1, Int((clipSeconds * fps).rounded())) }

    /// The window in seconds as decoded: a whole number of frames when there is video.
    public var windowSeconds: Double { modalities.hasVideo ? Double(videoFrames) / fps : clipSeconds }

    /// Audio samples of a full window.
    public var windowSamples: Int { Int((windowSeconds * Double(sampleRate)).rounded()) }

    func validate() throws(DataError) {
        func bad(_ name: String, _ why: String) -> DataError { .invalidOption(name: name, reason: why) }
        guard clipSeconds.isFinite, clipSeconds > 0 else { throw bad("clip_seconds", "must be > 0 (got \(clipSeconds))") }
        guard sampleRate > 0 else { throw bad("sample_rate", "must be > 0 (got \(sampleRate))") }
        guard fps.isFinite, fps > 0 else { throw bad("fps", "must be > 0 (got \(fps))") }
        if let audioFrames, audioFrames <= 0 { throw bad("audio frames", "must be > 0 (got \(audioFrames))") }
        if let crop = video.crop, crop.width > video.size.width || crop.height > video.size.height {
            throw bad("video crop", "\(crop.width)×\(crop.height) does not fit in the \(video.size.width)×\(video.size.height) frames")
        }
        if let n = normalization, !(n.std.isFinite && n.std > 0 && n.mean.isFinite) {
            throw bad("fbank normalisation", "needs a finite mean and a std > 0 (got \(n.mean), \(n.std))")
        }
        guard (0...1).contains(augmentation.flipProbability) else {
            throw bad("flip probability", "must be in [0, 1] (got \(augmentation.flipProbability))")
        }
    }
}
