// In-memory batches for the trainer's tests (runs read files through `LoaderBatchSource`): the
// configured audio and video shapes, drawn clip by clip from the counter-based generator. The
// signals have structure a masked autoencoder can learn (so the loss falls): filterbanks with
// wobbling harmonic-like ridges that start and stop, and frames with moving blobs.
import DuetObjectives
import DuetTensor
import Foundation

/// A corpus of `clips` synthetic clips, shuffled per epoch by (seed, epoch) and sharded by rank as
/// PyTorch's `DistributedSampler` does; clip `i` of a split is a pure function of (seed, split, i).
public final class SyntheticBatchSource: BatchSource {
    /// Training clips are shuffled each epoch; held-out clips are other draws, in a fixed order.
    public enum Split: String, Sendable {
        case train
        case heldOut = "held-out"
    }

    /// Filterbanks [frames, mels] per clip (batched as [B, 1, frames, mels]), or nil.
    public let audio: (frames: Int, mels: Int)?
    /// Frames [channels, frames, size, size] per clip (batched as [B, C, T, H, W]), or nil.
    public let video: (channels: Int, frames: Int, size: Int)?
    public let batchSize: Int
    public let clips: Int
    public let split: Split
    public let seed: UInt64
    public let rank: Int
    public let worldSize: Int
    public private(set) var position = BatchPosition()
    /// The clip order of one epoch, kept while that epoch is drawn.
    private var order: (epoch: Int, clips: [Int])?

    public init(audio: (frames: Int, mels: Int)?, video: (channels: Int, frames: Int, size: Int)?, batchSize: Int,
                clips: Int, split: Split, seed: UInt64, rank: Int = 0, worldSize: Int = 1) {
        precondition(audio != nil || video != nil, "a synthetic source needs audio, video or both")
        precondition(batchSize > 0 && worldSize > 0 && (0..<worldSize).contains(rank), "bad batch size or rank")
        self.audio = audio
        self.video = video
        self.batchSize = batchSize
        self.clips = max(clips, batchSize * worldSize)
        self.split = split
        self.seed = seed
        self.rank = rank
        self.worldSize = worldSize
    }

    /// The shapes, batch size and seed of `config`, with the modalities its objective reads.
    /// Training draws from 1024 clips, held-out evaluation from 4 batches' worth.
    public convenience init(config: RunConfig, split: Split, clips: Int? = nil, rank: Int = 0, worldSize: Int = 1) {
        let modalities = ObjectiveFactory.modalities(of: config)
        let tower = config.model.video
        self.init(audio: modalities.audio ? (config.model.audio.frames, config.model.audio.mels) : nil,
                  video: modalities.video ? (tower.color.channels, tower.frames, tower.size) : nil,
                  batchSize: config.train.batchSize,
                  clips: clips ?? (split == .train ? 1024 : 4 * config.train.batchSize),
                  split: split, seed: UInt64(config.seed), rank: rank, worldSize: worldSize)
    }

    public var batchesPerEpoch: Int { clips / worldSize / batchSize }

    public func seek(to position: BatchPosition) throws {
        guard position.epoch >= 0, (0..<batchesPerEpoch).contains(position.batchIndex) else {
            throw BatchPositionError(position: position, batchesPerEpoch: batchesPerEpoch)
        }
        self.position = position
    }

    public func next() throws -> ObjectiveBatch {
        let indices = clipIndices(at: position)
        position = advanced(position)
        var batch = ObjectiveBatch(ids: indices.map { "synthetic/\(split.rawValue)/\(String(format: "%06d", $0))" })
        if let audio {
            let x = Tensor(uninitializedShape: [indices.count, 1, audio.frames, audio.mels])
            for (b, clip) in indices.enumerated() {
                renderFilterbank(x.pointer + b * audio.frames * audio.mels, frames: audio.frames, mels: audio.mels,
                                 stream: clipStream(clip, modality: 1))
            }
            batch.audio = x
        }
        if let video {
            let clipSize = video.channels * video.frames * video.size * video.size
            let x = Tensor(uninitializedShape: [indices.count, video.channels, video.frames, video.size, video.size])
            for (b, clip) in indices.enumerated() {
                renderFrames(x.pointer + b * clipSize, channels: video.channels, frames: video.frames, size: video.size,
                             stream: clipStream(clip, modality: 2))
            }
            batch.video = x
        }
        return batch
    }

    /// The clips of batch `position` for this rank: strided over ranks, as `DistributedSampler`.
    func clipIndices(at position: BatchPosition) -> [Int] {
        if order?.epoch != position.epoch {
            let clips = split == .train
                ? RandomStream(seed: seed).derived(0x5348_5546, UInt64(position.epoch)).permutation(clips)
                : Array(0..<clips)
            order = (position.epoch, clips)
        }
        let first = position.batchIndex * batchSize
        return (first..<first + batchSize).map { order!.clips[$0 * worldSize + rank] }
    }

    private func clipStream(_ clip: Int, modality: UInt64) -> RandomStream {
        RandomStream(seed: seed).derived(split == .train ? 0x7472 : 0x6865, modality, UInt64(clip))
    }
}

/// A filterbank [frames, mels]: a spectral tilt, 2-4 ridges that wobble along a sinusoid, each
/// sounding over part of the clip with soft edges, and a little noise.
private func renderFilterbank(_ x: UnsafeMutablePointer<Float>, frames: Int, mels: Int, stream: RandomStream) {
    let tilt = 0.3 + 0.5 * stream.uniform(0)
    for t in 0..<frames {
        for m in 0..<mels { x[t * mels + m] = tilt * (0.5 - Float(m) / Float(mels)) }
    }
    let ridges = 2 + stream.integer(1, below: 3)
    for r in 0..<ridges {
        let u = { (k: Int) in stream.uniform(16 + 16 * r + k) }
        let centre = (0.1 + 0.8 * u(0)) * Float(mels)
        let wobble = 0.12 * u(1) * Float(mels)
        let period = (0.3 + 1.2 * u(2)) * Float(frames)
        let phase = 2 * Float.pi * u(3)
        let width = 0.6 + 0.04 * u(4) * Float(mels)
        let amplitude = 1 + 2 * u(5)
        let onset = 0.5 * u(6) * Float(frames)
        let end = onset + (0.3 + 0.7 * u(7)) * Float(frames)
        let reach = Int((4 * width).rounded(.up))
        for t in 0..<frames {
            let time = Float(t)
            let gate = min(max((time - onset) / 4, 0), 1) * min(max((end - time) / 4, 0), 1)
            if gate == 0 { continue }
            let c = centre + wobble * sinf(2 * Float.pi * time / period + phase)
            let row = x + t * mels
            for m in window(around: c, reach: reach, limit: mels) {
                let d = (Float(m) - c) / width
                row[m] += amplitude * gate * expf(-0.5 * d * d)
            }
        }
    }
    for i in 0..<frames * mels { x[i] += 0.05 * stream.normal(1000 + i) }
}

/// Frames [channels, frames, size, size]: a gradient background and 1-3 Gaussian blobs moving in
/// straight lines, each with its own colour, and a little noise.
private func renderFrames(_ x: UnsafeMutablePointer<Float>, channels: Int, frames: Int, size: Int, stream: RandomStream) {
    let plane = size * size
    let angle = 2 * Float.pi * stream.uniform(0)
    let (dx, dy) = (0.6 * cosf(angle) / Float(size), 0.6 * sinf(angle) / Float(size))
    for c in 0..<channels {
        for t in 0..<frames {
            let frame = x + (c * frames + t) * plane
            for y in 0..<size {
                for xi in 0..<size { frame[y * size + xi] = dx * (Float(xi) - Float(size) / 2) + dy * (Float(y) - Float(size) / 2) - 0.5 }
            }
        }
    }
    let blobs = 1 + stream.integer(1, below: 3)
    for k in 0..<blobs {
        let u = { (i: Int) in stream.uniform(16 + 16 * k + i) }
        let s = Float(size)
        let (x0, y0) = ((0.2 + 0.6 * u(0)) * s, (0.2 + 0.6 * u(1)) * s)
        let (vx, vy) = ((2 * u(2) - 1) * 0.4 * s / Float(frames), (2 * u(3) - 1) * 0.4 * s / Float(frames))
        let sigma = (0.06 + 0.08 * u(4)) * s
        let intensity = 0.6 + 0.8 * u(5)
        let reach = Int((3 * sigma).rounded(.up))
        for c in 0..<channels {
            let colour = channels == 1 ? 1 : 0.3 + 0.7 * u(8 + c)
            for t in 0..<frames {
                let (cx, cy) = (x0 + vx * Float(t), y0 + vy * Float(t))
                let frame = x + (c * frames + t) * plane
                for y in window(around: cy, reach: reach, limit: size) {
                    for xi in window(around: cx, reach: reach, limit: size) {
                        let (ex, ey) = (Float(xi) - cx, Float(y) - cy)
                        frame[y * size + xi] += intensity * colour * expf(-(ex * ex + ey * ey) / (2 * sigma * sigma))
                    }
                }
            }
        }
    }
    for i in 0..<channels * frames * plane { x[i] += 0.03 * stream.normal(1000 + i) }
}

/// The indices within `reach` of `centre`, clipped to 0..<limit (empty when all lie outside).
private func window(around centre: Float, reach: Int, limit: Int) -> Range<Int> {
    let (low, high) = (max(0, Int(centre.rounded(.down)) - reach), min(limit, Int(centre.rounded(.down)) + reach + 1))
    return low < high ? low..<high : 0..<0
}
