// The loader's shared state: decoding threads claim samples of the batches ahead (at most
// `prefetchBatches` batches started and not yet taken), decode them, and the thread that
// finishes a batch collates it; the consumer takes batches strictly in sequence, so the order
// never depends on which thread decoded what.
import DuetMedia
import Foundation

/// One sample to decode: slot `slot` of the batch numbered `sequence` since the loader started.
struct DecodeTask {
    let sequence: Int
    let slot: Int
    let index: Int
    let epoch: Int
}

/// A batch being decoded: its samples arrive in any order, by slot.
struct PendingBatch {
    let position: LoaderPosition
    var outcomes: [Result<Sample, SampleFailureBox>?]
    var remaining: Int
    var ready: Batch?
}

/// `SampleFailure` as an Error, so a decode outcome is a `Result`.
struct SampleFailureBox: Error {
    let failure: SampleFailure
}

final class LoaderQueue: @unchecked Sendable {
    let dataset: AudioVisualDataset
    let options: LoaderOptions
    let batchesPerEpoch: Int
    private let lengths: [Int]

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var claimEpoch: Int
    private var claimBatch: Int
    private var claimSlot = 0
    private var claimPlan: [[Int]]
    /// Batches started by the claim cursor, counted from the start position.
    private var claimSequence = 0
    private var consumeSequence = 0
    private var pending: [Int: PendingBatch] = [:]
    private var exhausted = false
    private var stopping = false
    private var liveWorkers = 0
    /// The consumer's own reader when there are no workers.
    private var inlineReader: SampleReader?

    init(dataset: AudioVisualDataset, options: LoaderOptions, batchesPerEpoch: Int, start: LoaderPosition) {
        self.dataset = dataset
        self.options = options
        self.batchesPerEpoch = batchesPerEpoch
        lengths = (0..<dataset.count).map(dataset.length)
        claimEpoch = start.epoch
        claimBatch = start.batchIndex
        claimPlan = []
        exhausted = options.epochs.map { start.epoch >= $0 } ?? false
        if !exhausted { claimPlan = plan(start.epoch) }
        for i in 0..<options.workers {
            liveWorkers += 1
            let thread = Thread { [self] in work() }
            thread.name = "duet-loader-\(i)"
            thread.start()
        }
    }

    func plan(_ epoch: Int) -> [[Int]] {
        EpochPlan.batches(epoch: epoch, count: dataset.count, lengths: { self.lengths[$0] }, options: options)
    }

    /// The next batch in sequence (waiting for it), or nil once the last epoch is done.
    func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let ready = pending[consumeSequence]?.ready {
                pending[consumeSequence] = nil
                consumeSequence += 1
                condition.broadcast()
                return ready
            }
            if stopping || (exhausted && consumeSequence == claimSequence) { return nil }
            if options.workers == 0 {
                runOneTask(reader: inlineReader ?? makeInlineReader())
            } else {
                condition.wait()
            }
        }
    }

    /// Asks the workers to finish the sample in hand and waits until every one has exited.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while liveWorkers > 0 { condition.wait() }
        pending.removeAll()
        condition.unlock()
    }

    /// Decoding threads still running.
    var workerCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return liveWorkers
    }

    private func makeInlineReader() -> SampleReader {
        let reader = dataset.makeReader()
        inlineReader = reader
        return reader
    }

    private func work() {
        let reader = dataset.makeReader()
        condition.lock()
        while !stopping {
            if !runOneTask(reader: reader) {
                if exhausted { break }
                condition.wait()
            }
        }
        liveWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Claims, decodes and stores one sample (collating its batch when it is the last); called
    /// and returns with the lock held. False when there is nothing to claim now.
    @discardableResult
    private func runOneTask(reader: SampleReader) -> Bool {
        guard let task = claim() else { return false }
        condition.unlock()
        let outcome: Result<Sample, SampleFailureBox>
        do {
            outcome = .success(try reader.sample(task.index, epoch: task.epoch, seed: options.seed))
        } catch {
            outcome = .failure(SampleFailureBox(failure: SampleFailure(index: task.index, id: dataset.id(task.index), error: error)))
        }
        condition.lock()
        guard !stopping, var batch = pending[task.sequence] else { return true }
        batch.outcomes[task.slot] = outcome
        batch.remaining -= 1
        pending[task.sequence] = batch
        guard batch.remaining == 0 else { return true }
        condition.unlock()
        let ready = assemble(batch)
        condition.lock()
        if !stopping { pending[task.sequence]?.ready = ready }
        condition.broadcast()
        return true
    }

    /// The next sample to decode, respecting the bound on batches ahead; nil when none may start.
    private func claim() -> DecodeTask? {
        while !exhausted && !stopping {
            guard claimBatch < claimPlan.count else {
                claimEpoch += 1
                claimBatch = 0
                claimSlot = 0
                if let epochs = options.epochs, claimEpoch >= epochs {
                    exhausted = true
                    condition.broadcast()
                    return nil
                }
                claimPlan = plan(claimEpoch)
                continue
            }
            let indices = claimPlan[claimBatch]
            if claimSlot == 0 {
                guard claimSequence - consumeSequence < options.prefetchBatches else { return nil }
                pending[claimSequence] = PendingBatch(position: LoaderPosition(epoch: claimEpoch, batchIndex: claimBatch),
                                                      outcomes: Array(repeating: nil, count: indices.count),
                                                      remaining: indices.count, ready: nil)
            }
            let task = DecodeTask(sequence: claimSequence, slot: claimSlot, index: indices[claimSlot], epoch: claimEpoch)
            claimSlot += 1
            if claimSlot == indices.count {
                claimSlot = 0
                claimBatch += 1
                claimSequence += 1
            }
            return task
        }
        return nil
    }

    private func assemble(_ batch: PendingBatch) -> Batch {
        var samples: [Sample] = []
        var failures: [SampleFailure] = []
        for outcome in batch.outcomes {
            switch outcome {
            case .success(let s)?: samples.append(s)
            case .failure(let box)?: failures.append(box.failure)
            case nil: break
            }
        }
        return Batch.collate(samples, failures: failures, position: batch.position, dataset: dataset)
    }
}
