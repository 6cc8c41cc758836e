// A batch as the loader hands it out: samples collated into padded tensors in the layouts the
// objectives read ([B, 1, frames, mels] and [B, C, T, H, W]), with lengths, masks, labels, ids.
import DuetMedia
import DuetTensor

/// Where a loader stands: the epoch, and the index within it (on this rank) of the next batch.
public struct LoaderPosition: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var epoch: Int
    public var batchIndex: Int

    public init(epoch: Int = 0, batchIndex: Int = 0) {
        self.epoch = epoch
        self.batchIndex = batchIndex
    }

    public static let start = LoaderPosition()

    public var description: String { "epoch \(epoch), batch \(batchIndex)" }

    enum CodingKeys: String, CodingKey {
        case epoch
        case batchIndex = "batch_index"
    }
}

/// One batch. Field names match `ObjectiveBatch` of DuetObjectives, so DuetTrain converts it
/// field for field.
public struct Batch: Sendable {
    /// The batch's own place in the loader's sequence.
    public let position: LoaderPosition
    /// Manifest indices and ids of the samples, in batch order.
    public let indices: [Int]
    public let ids: [String]
    /// Normalised filterbanks [B, 1, frames, mels], zero beyond each sample's length.
    public let audio: Tensor?
    /// Normalised frames [B, C, T, H, W], zero beyond each sample's length.
    public let video: Tensor?
    /// Valid filterbank frames and video frames per sample.
    public let audioLengths: [Int]?
    public let videoLengths: [Int]?
    /// Label indices per sample, when the dataset has labels.
    public let labels: [[Int32]]?
    /// Samples of this batch's slots that failed to decode and were left out.
    public let failures: [SampleFailure]

    public var count: Int { ids.count }

    /// [B, frames]: 1 where a filterbank frame holds signal, 0 where it is padding.
    public var audioMask: Tensor? { audio.flatMap { a in audioLengths.map { Self.mask($0, size: a.shape[2]) } } }
    /// [B, T]: 1 for decoded frames, 0 for padding.
    public var videoMask: Tensor? { video.flatMap { v in videoLengths.map { Self.mask($0, size: v.shape[2]) } } }

    private static func mask(_ lengths: [Int], size: Int) -> Tensor {
        var values = [Float](repeating: 0, count: lengths.count * size)
        for (b, n) in lengths.enumerated() { for t in 0..<min(n, size) { values[b * size + t] = 1 } }
        return Tensor(shape: [lengths.count, size], scalars: values)
    }

    /// Stacks `samples` (all of `dataset`) into padded tensors.
    static func collate(_ samples: [Sample], failures: [SampleFailure], position: LoaderPosition,
                        dataset: AudioVisualDataset) -> Batch {
        let o = dataset.options
        let b = samples.count
        var audio: Tensor?, video: Tensor?
        if o.modalities.hasAudio, b > 0 {
            let frames = dataset.audioFrames, mels = o.fbank.melBins
            let out = Tensor(uninitializedShape: [b, 1, frames, mels])
            let size = frames * mels
            for (i, s) in samples.enumerated() {
                let target = out.pointer + i * size
                s.audio!.values.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: size) }
            }
            audio = out
        }
        if o.modalities.hasVideo, b > 0 {
            let t = dataset.videoFrames, c = o.video.pixelFormat.channels
            let frame = o.video.outputSize, plane = frame.width * frame.height
            let out = Tensor(uninitializedShape: [b, c, t, frame.height, frame.width])
            for (i, s) in samples.enumerated() {
                let clip = s.video!
                let n = min(clip.frameCount, t)
                clip.values.withUnsafeBufferPointer { source in
                    for channel in 0..<c {
                        let target = out.pointer + ((i * c + channel) * t) * plane
                        for f in 0..<n {
                            (target + f * plane).update(from: source.baseAddress! + (f * c + channel) * plane, count: plane)
                        }
                        (target + n * plane).update(repeating: 0, count: (t - n) * plane)
                    }
                }
            }
            video = out
        }
        return Batch(position: position, indices: samples.map(\.index), ids: samples.map(\.id), audio: audio, video: video,
                     audioLengths: o.modalities.hasAudio ? samples.map(\.audioLength) : nil,
                     videoLengths: o.modalities.hasVideo ? samples.map { min($0.videoLength, dataset.videoFrames) } : nil,
                     labels: dataset.labels == nil ? nil : samples.map { $0.labels ?? [] }, failures: failures)
    }
}
