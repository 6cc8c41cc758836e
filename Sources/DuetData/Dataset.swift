// The audio-visual dataset: one manifest entry to one sample (a window of filterbank frames and
// video frames with their labels), every random choice keyed by (seed, epoch, sample index) so a
// sample is the same whichever thread decodes it and whenever.
import DuetMedia
import Foundation

/// One decoded sample.
public struct Sample: Sendable {
    /// The manifest index and id.
    public let index: Int
    public let id: String
    /// Normalised log-mel frames [frames, mels], padded or cut to the dataset's frame count.
    public var audio: Filterbank?
    /// Frames of `audio` that hold signal (the rest is padding).
    public var audioLength: Int
    /// Normalised frames [T, C, H, W], as many as the file had in the window.
    public var video: VideoClip?
    public var videoLength: Int { video?.frameCount ?? 0 }
    /// Label indices of the entry (a transcript's words, or one class), when labels were given.
    public var labels: [Int32]?
    /// The window's start in seconds.
    public let start: Double
}

/// A manifest read as samples. Immutable and shareable between threads; each decoding thread
/// makes its own `SampleReader`.
public final class AudioVisualDataset: Sendable {
    public let manifest: Manifest
    public let options: DatasetOptions
    public let labels: LabelSet?

    public init(manifest: Manifest, options: DatasetOptions = DatasetOptions(), labels: LabelSet? = nil) throws(DataError) {
        try options.validate()
        let name = manifest.file ?? "manifest"
        if manifest.kind == .audioOnly, options.modalities != .audio {
            throw .invalidOption(name: name, reason: "is audio-only (path, n_samples); read it with modalities audio")
        }
        if let labels, labels.encoded.count != manifest.count {
            throw .labelCountMismatch(file: labels.labels.file, labels: labels.encoded.count, entries: manifest.count)
        }
        var resolved = options
        resolved.fbank.sampleRate = Double(options.sampleRate)
        let extractor: KaldiFbank
        do { extractor = try KaldiFbank(resolved.fbank) } catch { throw .invalidOption(name: "fbank", reason: error.description) }
        self.manifest = manifest
        self.options = resolved
        self.labels = labels
        audioFrames = options.audioFrames ?? max(1, extractor.frameCount(samples: resolved.windowSamples))
    }

    public var count: Int { manifest.count }

    public func id(_ index: Int) -> String { manifest.entries[index].id }

    /// A length for bucketing: audio samples, or video frames in video-only mode.
    public func length(_ index: Int) -> Int {
        let e = manifest.entries[index]
        return options.modalities == .video ? e.videoFrames ?? e.audioSamples : e.audioSamples
    }

    /// Filterbank frames every sample has (valid ones plus padding).
    public let audioFrames: Int

    /// Video frames of a full window.
    public var videoFrames: Int { options.videoFrames }

    public func makeReader() -> SampleReader { SampleReader(self) }
}

/// Decodes samples of one dataset on one thread (it owns filterbank buffers).
public final class SampleReader {
    public let dataset: AudioVisualDataset
    private let fbank: KaldiFbank?

    init(_ dataset: AudioVisualDataset) {
        self.dataset = dataset
        // Validated when the dataset was made.
        fbank = dataset.options.modalities.hasAudio ? try? KaldiFbank(dataset.options.fbank) : nil
    }

    /// Purposes of the random sub-streams of one sample.
    private enum Draw: UInt64 { case window = 1, crop, flip, videoMask, specTime, specFrequency, photometric }

    /// Sample `index` as epoch `epoch` of a run seeded `seed` sees it.
    public func sample(_ index: Int, epoch: Int, seed: UInt64) throws(MediaError) -> Sample {
        let d = dataset, o = d.options
        let entry = d.manifest.entries[index]
        let random = MediaRandom(seed: seed, UInt64(epoch), UInt64(index))
        let training = o.mode == .training
        let audioPath = d.manifest.resolve(entry.audioPath)
        let videoPath = entry.videoPath.map(d.manifest.resolve)

        let videoReader = o.modalities.hasVideo ? try MediaReader(path: videoPath ?? audioPath) : nil
        let audioReader = o.modalities.hasAudio
            ? (videoReader != nil && videoPath == audioPath ? videoReader! : try MediaReader(path: audioPath)) : nil
        let duration = [videoReader?.info, audioReader?.info].compactMap { $0.flatMap(Self.duration) }.min()
        let window = self.window(duration: duration, random: random.derived(Draw.window.rawValue), training: training)

        var audio: AudioClip?
        var video: VideoClip?
        let videoOptions = VideoOptions(frameRate: o.fps, size: o.video.size, pixelFormat: o.video.pixelFormat,
                                        normalization: o.video.normalization)
        if let videoReader, let audioReader, videoReader === audioReader {
            let clip = try videoReader.clip(window: window, sampleRate: o.sampleRate, video: videoOptions, requireComplete: true)
            (audio, video) = (clip.audio, clip.video)
        } else {
            if let videoReader { video = try videoReader.video(videoOptions, window: window, requireComplete: true) }
            if let audioReader {
                let span = video.map { Double($0.frameCount) / $0.frameRate } ?? window.duration!
                audio = try audioReader.audio(sampleRate: o.sampleRate, window: TimeWindow(start: window.start, duration: span),
                                              requireComplete: true)
            }
        }

        var sample = Sample(index: index, id: entry.id, audio: nil, audioLength: 0, video: nil,
                            labels: d.labels?.encoded[index], start: window.start)
        if let audio, let fbank {
            (sample.audio, sample.audioLength) = try filterbank(audio, fbank: fbank, path: audioPath, random: random, training: training)
        }
        if var clip = video {
            if clip.frameCount > o.videoFrames { clip = Self.firstFrames(clip, o.videoFrames) }
            sample.video = frames(clip, random: random, training: training)
        }
        return sample
    }

    /// The window to decode: the whole clip when it is shorter than the window, else a random
    /// start (training) or the centre (evaluation), on the frame grid when there is video.
    private func window(duration: Double?, random: MediaRandom, training: Bool) -> TimeWindow {
        let o = dataset.options
        let length = o.windowSeconds
        guard let duration, duration > length else { return TimeWindow(start: 0, duration: length) }
        let slack = duration - length
        var start = training ? Double(random.uniform(0)) * slack : slack / 2
        if o.modalities.hasVideo { start = (start * o.fps).rounded(.down) / o.fps }
        return TimeWindow(start: max(0, start), duration: length)
    }

    /// The shorter of the streams the file has, from its header.
    private static func duration(_ info: MediaInfo) -> Double? {
        let streams = [info.video?.duration, info.audio?.duration].compactMap { $0 }
        return streams.min() ?? info.duration
    }

    private func filterbank(_ audio: AudioClip, fbank: KaldiFbank, path: String, random: MediaRandom,
                            training: Bool) throws(MediaError) -> (Filterbank, Int) {
        let o = dataset.options
        var bank = try fbank(audio)
        guard bank.frameCount > 0 else {
            throw .noData(file: path, reason: "\(audio.count) audio samples are shorter than one filterbank frame")
        }
        o.normalization?.apply(&bank)
        let a = o.augmentation
        if training, a.specTimeMasks > 0, a.specTimeWidth > 0 {
            bank = bank.timeMasked(maxWidth: a.specTimeWidth, count: a.specTimeMasks, random: random.derived(Draw.specTime.rawValue))
        }
        if training, a.specFrequencyMasks > 0, a.specFrequencyWidth > 0 {
            bank = bank.frequencyMasked(maxWidth: a.specFrequencyWidth, count: a.specFrequencyMasks,
                                        random: random.derived(Draw.specFrequency.rawValue))
        }
        let target = dataset.audioFrames
        let valid = min(bank.frameCount, target)
        guard bank.frameCount != target else { return (bank, valid) }
        var values = [Float](repeating: 0, count: target * bank.binCount)
        values.withUnsafeMutableBufferPointer { out in
            bank.values.withUnsafeBufferPointer { source in
                out.baseAddress!.update(from: source.baseAddress!, count: valid * bank.binCount)
            }
        }
        return (Filterbank(values: values, frameCount: target, binCount: bank.binCount), valid)
    }

    private func frames(_ clip: VideoClip, random: MediaRandom, training: Bool) -> VideoClip {
        let o = dataset.options
        let a = o.augmentation
        let crop = o.video.crop ?? FrameSize(width: clip.width, height: clip.height)
        // The draws of DuetMedia's randomlyCropped and randomlyFlipped, done in one pass.
        let cropRandom = random.derived(Draw.crop.rawValue)
        let x = training ? cropRandom.integer(0, below: clip.width - crop.width + 1) : (clip.width - crop.width) / 2
        let y = training ? cropRandom.integer(1, below: clip.height - crop.height + 1) : (clip.height - crop.height) / 2
        let mirrored = training && a.flipProbability > 0 && random.derived(Draw.flip.rawValue).uniform(0) < a.flipProbability
        var out = Self.cut(clip, to: CropRegion(x: x, y: y, width: crop.width, height: crop.height), mirrored: mirrored)
        if o.video.centredOverTime { out = out.centredOverTime() }
        if training {
            out = out.photometricallyJittered(contrast: a.videoContrast, brightness: a.videoBrightness,
                                              random: random.derived(Draw.photometric.rawValue))
        }
        if training, a.videoTimeMasks > 0, a.videoMaskFrames > 0 {
            out = out.timeMasked(maxFrames: a.videoMaskFrames, count: a.videoTimeMasks, random: random.derived(Draw.videoMask.rawValue))
        }
        return out
    }

    /// `region` of every frame, mirrored left to right when asked: one pass and one buffer
    /// where a crop and a flip would take two of each. `region` lies inside the frames.
    private static func cut(_ clip: VideoClip, to region: CropRegion, mirrored: Bool) -> VideoClip {
        if !mirrored, region.width == clip.width, region.height == clip.height { return clip }
        let planes = clip.frameCount * clip.channels, w = region.width, h = region.height
        let values = [Float](unsafeUninitializedCapacity: planes * w * h) { out, initialized in
            clip.values.withUnsafeBufferPointer { source in
                var o = out.baseAddress!
                for plane in 0..<planes {
                    var row = source.baseAddress! + plane * clip.width * clip.height + region.y * clip.width + region.x
                    for _ in 0..<h {
                        if mirrored {
                            for i in 0..<w { o[i] = row[w - 1 - i] }
                        } else {
                            o.initialize(from: row, count: w)
                        }
                        o += w
                        row += clip.width
                    }
                }
            }
            initialized = planes * w * h
        }
        var out = clip
        out.values = values
        out.width = w
        out.height = h
        return out
    }

    private static func firstFrames(_ clip: VideoClip, _ count: Int) -> VideoClip {
        var out = clip
        out.values = Array(clip.values[0..<(count * clip.frameSize)])
        out.timestamps = Array(clip.timestamps[0..<count])
        out.frameCount = count
        return out
    }
}
