// Where the trainer's batches come from: a stream of `ObjectiveBatch`es (with their sample ids)
// whose position can be saved in a checkpoint and restored, so a resumed run draws exactly the
// batches the uninterrupted run would have.
import DuetData
import DuetObjectives

/// The next batch a source hands out: its epoch and its index within the epoch (of this rank).
/// The loader's own position type, so a loader's position is saved as it is.
public typealias BatchPosition = LoaderPosition

/// A deterministic stream of batches: which samples batch `batchIndex` of `epoch` holds, and their
/// content, depend only on (seed, epoch, rank) and the source's data, never on what was drawn
/// before, so `seek(to:)` a saved position continues a run exactly.
///
/// `LoaderBatchSource` (DuetData's loader over a manifest) is the one runs use;
/// `SyntheticBatchSource` (signals drawn in memory) serves the trainer's tests.
public protocol BatchSource: AnyObject {
    /// Batches in one epoch for this rank (the last partial batch is dropped, as PyTorch's
    /// `drop_last`).
    var batchesPerEpoch: Int { get }
    /// Where `next()` draws from.
    var position: BatchPosition { get }
    /// Makes `next()` return the batch at `position`.
    func seek(to position: BatchPosition) throws
    /// The batch at `position` (its `ids` name the samples); then moves on, to the next epoch
    /// after the last batch.
    func next() throws -> ObjectiveBatch
}

extension BatchSource {
    /// The position after `position`.
    public func advanced(_ position: BatchPosition) -> BatchPosition {
        position.batchIndex + 1 < batchesPerEpoch
            ? BatchPosition(epoch: position.epoch, batchIndex: position.batchIndex + 1)
            : BatchPosition(epoch: position.epoch + 1, batchIndex: 0)
    }
}

/// A position a source cannot seek to.
public struct BatchPositionError: Error, CustomStringConvertible, Sendable {
    public let position: BatchPosition
    public let batchesPerEpoch: Int

    public var description: String {
        "cannot resume the data at \(position): an epoch has \(batchesPerEpoch) batches "
            + "(was the batch size or the dataset changed since the checkpoint?)"
    }
}
