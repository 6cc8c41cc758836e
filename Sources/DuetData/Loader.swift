// The prefetching loader: batches of a dataset in a deterministic order (shuffled by seed and
// epoch, sharded by rank), decoded by background threads, resumable from a saved position, with
// bad files skipped and reported (or fatal, or fatal past a fraction).
import DuetMedia

/// Hands out batches one at a time. Use from one thread; `stop()` (or dropping the loader)
/// ends its threads.
public final class Loader {
    public let dataset: AudioVisualDataset
    public let options: LoaderOptions
    /// Batches per epoch on this rank, and the samples they hold.
    public let batchesPerEpoch: Int
    public let samplesPerEpoch: Int
    /// The position of the batch `next()` returns next; save it to resume.
    public private(set) var position: LoaderPosition
    /// Reports of finished epochs, oldest first, and of the epoch under way.
    public private(set) var reports: [EpochReport] = []
    public private(set) var currentReport: EpochReport
    /// Called with an epoch's report when its last batch is handed out (the trainer logs it).
    public var onEpochEnd: ((EpochReport) -> Void)?

    private var queue: LoaderQueue
    private var terminal: DataError?

    /// A loader whose first batch is the one at `position` (the start by default).
    public init(dataset: AudioVisualDataset, options: LoaderOptions = LoaderOptions(),
                resumingAt position: LoaderPosition = .start) throws(DataError) {
        try options.validate()
        guard dataset.count > 0 else { throw .invalidOption(name: dataset.manifest.file ?? "manifest", reason: "has no entries") }
        let plan = EpochPlan.batches(epoch: 0, count: dataset.count, lengths: dataset.length, options: options)
        guard !plan.isEmpty else {
            throw .invalidOption(name: "batch size", reason: "rank \(options.rank) of \(options.worldSize) gets no whole batch of "
                                 + "\(options.batchSize) from \(dataset.count) samples (drop_last is on)")
        }
        self.dataset = dataset
        self.options = options
        batchesPerEpoch = plan.count
        samplesPerEpoch = plan.reduce(0) { $0 + $1.count }
        let start = try Self.normalized(position, batchesPerEpoch: plan.count)
        self.position = start
        currentReport = EpochReport(epoch: start.epoch)
        queue = LoaderQueue(dataset: dataset, options: options, batchesPerEpoch: plan.count, start: start)
    }

    deinit { queue.stop() }

    /// The next batch, or nil after the last epoch (never, when `options.epochs` is nil).
    /// Samples that fail to decode are left out of their batch and reported; a batch whose every
    /// sample failed is passed over. Throws `DataError.badFile` with `.fail`, and
    /// `.tooManyBadFiles` once an epoch passes `maxBadFraction`; the loader then stays stopped.
    public func next() throws(DataError) -> Batch? {
        while true {
            if let terminal { throw terminal }
            guard let batch = queue.take() else { return nil }
            try account(batch)
            if batch.count > 0 { return batch }
        }
    }

    /// Continues from `position`: the next batch is the one an uninterrupted run had there.
    public func seek(to position: LoaderPosition) throws(DataError) {
        let start = try Self.normalized(position, batchesPerEpoch: batchesPerEpoch)
        queue.stop()
        terminal = nil
        self.position = start
        if currentReport.epoch != start.epoch { currentReport = EpochReport(epoch: start.epoch) }
        queue = LoaderQueue(dataset: dataset, options: options, batchesPerEpoch: batchesPerEpoch, start: start)
    }

    /// Ends the decoding threads (waiting for the samples in hand); `next()` then returns nil.
    public func stop() { queue.stop() }

    /// The queue, for tests that count its threads.
    var queueForTesting: LoaderQueue { queue }

    /// Counts the batch's failures against the epoch and moves the position past it.
    private func account(_ batch: Batch) throws(DataError) {
        currentReport.samples += batch.count + batch.failures.count
        currentReport.failures += batch.failures
        let last = batch.position.batchIndex + 1 >= batchesPerEpoch
        position = last ? LoaderPosition(epoch: batch.position.epoch + 1, batchIndex: 0)
                        : LoaderPosition(epoch: batch.position.epoch, batchIndex: batch.position.batchIndex + 1)
        if let first = batch.failures.first, options.onBadFile == .fail {
            return try halt(.badFile(id: first.id, error: first.error))
        }
        let allowed = Int((options.maxBadFraction * Double(samplesPerEpoch)).rounded(.down))
        if currentReport.failures.count > allowed {
            return try halt(.tooManyBadFiles(epoch: currentReport.epoch, allowed: allowed, samples: samplesPerEpoch,
                                             failures: currentReport.failures))
        }
        if last {
            reports.append(currentReport)
            onEpochEnd?(currentReport)
            currentReport = EpochReport(epoch: position.epoch)
        }
    }

    private func halt(_ error: DataError) throws(DataError) {
        terminal = error
        queue.stop()
        throw error
    }

    private static func normalized(_ p: LoaderPosition, batchesPerEpoch: Int) throws(DataError) -> LoaderPosition {
        guard p.epoch >= 0, p.batchIndex >= 0, p.batchIndex <= batchesPerEpoch else {
            throw .invalidOption(name: "loader position", reason: "cannot resume at \(p): an epoch has \(batchesPerEpoch) batches "
                                 + "(was the batch size, the world size or the manifest changed since it was saved?)")
        }
        return p.batchIndex == batchesPerEpoch ? LoaderPosition(epoch: p.epoch + 1, batchIndex: 0) : p
    }
}
