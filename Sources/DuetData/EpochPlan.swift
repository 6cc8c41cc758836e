// Which samples each batch of an epoch holds on one rank: a pure function of (seed, epoch, rank,
// world size) and the dataset's lengths, so any batch can be found again without drawing the
// ones before it.
import DuetTensor

enum EpochPlan {
    /// The manifest indices of every batch of `epoch` on `options.rank`, in order.
    static func batches(epoch: Int, count: Int, lengths: (Int) -> Int, options o: LoaderOptions) -> [[Int]] {
        let stream = RandomStream(seed: o.seed).derived(0x5348_5546, UInt64(epoch))
        let order = o.shuffle ? stream.permutation(count) : Array(0..<count)
        let shard = Array(stride(from: o.rank, to: count, by: o.worldSize).map { order[$0] })
        guard let bucketing = o.bucketing else { return cut(shard, o.batchSize, dropLast: o.dropLast) }
        let pool = bucketing.poolBatches * o.batchSize
        var batches: [[Int]] = []
        for start in stride(from: 0, to: shard.count, by: pool) {
            let sorted = shard[start..<min(shard.count, start + pool)].sorted { (lengths($0), $0) < (lengths($1), $1) }
            batches += cut(sorted, o.batchSize, dropLast: false)
        }
        // Pools hold whole batches, so only the very last batch can be short.
        if o.dropLast, let last = batches.last, last.count < o.batchSize { batches.removeLast() }
        guard o.shuffle else { return batches }
        return stream.derived(0x4255_434B).permutation(batches.count).map { batches[$0] }
    }

    private static func cut(_ indices: [Int], _ size: Int, dropLast: Bool) -> [[Int]] {
        var out = stride(from: 0, to: indices.count, by: size).map { Array(indices[$0..<min(indices.count, $0 + size)]) }
        if dropLast, let last = out.last, last.count < size { out.removeLast() }
        return out
    }
}
