// CTC decoding on hand-made frame probabilities: greedy merges repeats and drops blanks; the
// prefix beam search sums alignments, so it finds labellings a single best path misses.
import Foundation
import Testing
@testable import DuetModels

@Suite struct CTCDecodingTests {
    /// Rows of probabilities → their logs, row-major.
    func logs(_ rows: [[Double]]) -> [Float] { rows.flatMap { $0.map { Float(Foundation.log($0)) } } }

    func greedy(_ rows: [[Double]]) -> [Int32] {
        logs(rows).withUnsafeBufferPointer { CTCDecoding.greedy($0.baseAddress!, frames: rows.count, classes: rows[0].count) }
    }

    func beam(_ rows: [[Double]], width: Int) -> [Int32] {
        logs(rows).withUnsafeBufferPointer {
            CTCDecoding.beamSearch($0.baseAddress!, frames: rows.count, classes: rows[0].count, beamWidth: width)
        }
    }

    @Test func greedyMergesRepeatsAndDropsBlanks() {
        // Best path 1 1 0 1 2 2 0 → "1 1 2": the blank between the 1s keeps them apart.
        let rows: [[Double]] = [[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.9, 0.05, 0.05], [0.1, 0.6, 0.3],
                                [0.1, 0.2, 0.7], [0.1, 0.1, 0.8], [0.7, 0.2, 0.1]]
        #expect(greedy(rows) == [1, 1, 2])
        #expect(beam(rows, width: 8) == [1, 1, 2])
    }

    @Test func allBlanksDecodeToNothing() {
        let rows: [[Double]] = [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1]]
        #expect(greedy(rows).isEmpty)
        #expect(beam(rows, width: 4).isEmpty)
    }

    @Test func beamSearchSumsAlignmentsGreedyMisses() {
        // Per frame the blank is likeliest (0.4 > 0.35, 0.25), so greedy says nothing; but
        // P(∅) = 0.4² = 0.16 while P("1") = 0.35² + 2·0.35·0.4 = 0.4025 (alignments 11, 1ε, ε1),
        // the likeliest labelling.
        let rows: [[Double]] = [[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]
        #expect(greedy(rows).isEmpty)
        #expect(beam(rows, width: 8) == [1])
    }

    @Test func beamScoresMatchBruteForceOverAlignments() {
        // Every labelling's probability by enumerating all 3^4 alignments, against the beam's
        // choice with a beam wide enough to keep every prefix.
        let rows: [[Double]] = [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.6, 0.1, 0.3]]
        var totals: [[Int32]: Double] = [:]
        for code in 0..<81 {
            var path: [Int] = [], c = code, p = 1.0
            for t in 0..<4 { path.append(c % 3); p *= rows[t][c % 3]; c /= 3 }
            var labels: [Int32] = [], previous = -1
            for s in path { if s != previous && s != 0 { labels.append(Int32(s)) }; previous = s }
            totals[labels, default: 0] += p
        }
        let best = totals.max { $0.value < $1.value }!.key
        #expect(beam(rows, width: 50) == best)
    }
}
