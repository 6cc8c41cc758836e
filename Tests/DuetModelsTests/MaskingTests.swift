// Masking generators: ratios, shapes (tubes, blocks, spans) and determinism in (seed, step, sample).
import Testing
import DuetTensor
@testable import DuetModels

@Suite struct MaskingTests {
    let step = RandomStream(seed: 3).derived(17)

    private func checkPartition(_ mask: TokenMask) {
        for b in 0..<mask.batch {
            let kept = mask.keep.values[(b * mask.keep.count)..<((b + 1) * mask.keep.count)]
            let hidden = mask.masked.values[(b * mask.masked.count)..<((b + 1) * mask.masked.count)]
            #expect(Set(kept).union(hidden) == Set((0..<mask.tokens).map(Int32.init)))
            #expect(Set(kept).isDisjoint(with: hidden))
            #expect(Array(kept) == kept.sorted())
        }
    }

    @Test func randomMaskingKeepsMAEsCount() {
        let m = RandomMasking(tokens: 128, ratio: 0.8).mask(batch: 4, stream: step)
        #expect(m.keep.count == 25 && m.masked.count == 103)  // int(128 · 0.2), as MAE
        checkPartition(m)
        #expect(m.keep.values[0..<25] != m.keep.values[25..<50], "samples draw different masks")
        #expect(RandomMasking(tokens: 128, ratio: 0.8).mask(batch: 4, stream: step) == m)
        #expect(RandomMasking(tokens: 128, ratio: 0.8).mask(batch: 4, stream: RandomStream(seed: 3).derived(18)) != m)
        #expect(m.maskedFlags().sumAll() == Double(4 * 103))
    }

    @Test func tubeMaskingRepeatsOneSpatialMask() {
        let m = TubeMasking(frames: 4, spatial: 36, ratio: 0.9).mask(batch: 2, stream: step)
        #expect(m.keep.count == 4 * 3)
        checkPartition(m)
        let first = Array(m.keep.values[0..<3])
        for t in 1..<4 { #expect(Array(m.keep.values[(t * 3)..<(t * 3 + 3)]) == first.map { $0 + Int32(t * 36) }) }
    }

    @Test func inverseBlockMaskingKeepsBlocks() {
        let masking = InverseBlockMasking(height: 14, width: 14, ratio: 0.8, blockSize: 3)
        let m = masking.mask(batch: 3, stream: step)
        #expect(m.keep.count == Int(196.0 * 0.2))
        checkPartition(m)
        // Blocks: most kept tokens have a kept neighbour (random masking would give ~1 − 0.8⁴).
        let kept = Set(m.keep.values[0..<m.keep.count].map(Int.init))
        let withNeighbour = kept.filter { i in [i - 1, i + 1, i - 14, i + 14].contains { kept.contains($0) } }
        #expect(Double(withNeighbour.count) / Double(kept.count) > 0.8)
    }

    @Test func timeSpanMaskingMasksSpans() {
        let m = TimeSpanMasking(tokens: 100, ratio: 0.5, spanLength: 10).mask(batch: 2, stream: step)
        #expect(m.masked.count == 50)
        checkPartition(m)
        let hidden = Array(m.masked.values[0..<50])
        let runs = zip(hidden, hidden.dropFirst()).filter { $1 != $0 + 1 }.count + 1
        #expect(runs <= 8, "50 masked frames in spans of 10 form few runs, got \(runs)")
    }
}
