// How a loader orders, shards, batches and decodes: the PyTorch DataLoader and
// DistributedSampler knobs, plus bucketing by length and the bad-file policy.

/// Batches of similar lengths: the epoch's shard is cut into pools of `poolBatches` batches,
/// each pool sorted by length and cut into batches, and the batches shuffled (lhotse's and
/// ESPnet's scheme), so padding stays small while the order stays random.
public struct Bucketing: Sendable, Equatable {
    public var poolBatches: Int
    public init(poolBatches: Int = 50) { self.poolBatches = poolBatches }
}

public struct LoaderOptions: Sendable, Equatable {
    public var batchSize = 16
    /// With the epoch, keys the shuffle; with the epoch and the sample index, every augmentation.
    public var seed: UInt64 = 0
    public var shuffle = true
    /// This process's rank among `worldSize`: ranks see disjoint samples that together cover
    /// the dataset (DistributedSampler without its padding).
    public var rank = 0
    public var worldSize = 1
    /// Background decoding threads; 0 decodes on the calling thread inside `next()`.
    public var workers = 2
    /// Batches decoded ahead of the consumer, at most (the bounded queue).
    public var prefetchBatches = 3
    /// Leave out each epoch's last batch when it is short (PyTorch's `drop_last`).
    public var dropLast = false
    public var bucketing: Bucketing?
    public var onBadFile = OnBadFile.skip
    /// With `.skip`, an epoch stops with the list of files once more than this fraction of its
    /// samples (on this rank) failed.
    public var maxBadFraction = 0.01
    /// Epochs to run; nil runs on without end (`next()` then never returns nil).
    public var epochs: Int?

    public init() {}

    func validate() throws(DataError) {
        func bad(_ name: String, _ why: String) -> DataError { .invalidOption(name: name, reason: why) }
        guard batchSize > 0 else { throw bad("batch size", "must be > 0 (got \(batchSize))") }
        guard worldSize > 0, (0..<worldSize).contains(rank) else {
            throw bad("rank", "must be in 0..<world size (got rank \(rank) of \(worldSize))")
        }
        guard workers >= 0, workers <= 256 else { throw bad("num_workers", "must be in 0...256 (got \(workers))") }
        guard prefetchBatches > 0 else { throw bad("prefetch batches", "must be > 0 (got \(prefetchBatches))") }
        guard maxBadFraction.isFinite, (0...1).contains(maxBadFraction) else {
            throw bad("max_bad_fraction", "must be in [0, 1] (got \(maxBadFraction))")
        }
        if let epochs, epochs < 0 { throw bad("epochs", "must be ≥ 0 (got \(epochs))") }
        if let bucketing, bucketing.poolBatches <= 0 { throw bad("bucketing pool", "must be > 0 batches (got \(bucketing.poolBatches))") }
    }
}
