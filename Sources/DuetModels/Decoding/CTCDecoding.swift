// CTC decoding of one sample's per-frame log-probabilities: greedy (best class per frame, repeats
// merged, blanks dropped) and prefix beam search (Graves 2012; what ESPnet's CTC prefix scorer and
// torchaudio's lexicon-free decoder compute without a language model).
import Foundation

public enum CTCDecoding {
    /// Best path: the argmax of every frame, runs of one class merged, blanks removed.
    /// `logProbs` holds `frames × classes` values, row-major.
    public static func greedy(_ logProbs: UnsafePointer<Float>, frames: Int, classes: Int, blank: Int = 0) -> [Int32] {
        var out: [Int32] = []
        var previous = -1
        for t in 0..<frames {
            let row = logProbs + t * classes
            var best = 0
            for c in 1..<classes where row[c] > row[best] { best = c }
            if best != previous && best != blank { out.append(Int32(best)) }
            previous = best
        }
        return out
    }

    /// The most probable labelling summed over its alignments, searched keeping `beamWidth`
    /// prefixes per frame. Each prefix carries the probability of its alignments that end in a
    /// blank and of those that end in its last label, so "a a" (two labels, a blank between)
    /// and "a" (one label held) stay apart. With `beamWidth` 1 it can differ from `greedy`,
    /// which follows single frames, not prefixes.
    public static func beamSearch(_ logProbs: UnsafePointer<Float>, frames: Int, classes: Int, beamWidth: Int,
                                  blank: Int = 0) -> [Int32] {
        precondition(beamWidth > 0, "beam width must be positive")
        struct Score { var blank = -Double.infinity, label = -Double.infinity; var total: Double { logAdd(blank, label) } }
        var beams: [[Int32]: Score] = [[]: Score(blank: 0)]
        for t in 0..<frames {
            let row = logProbs + t * classes
            var next: [[Int32]: Score] = [:]
            for (prefix, score) in beams {
                let total = score.total
                // Stay on the same prefix by a blank, or by repeating its last label.
                next[prefix, default: Score()].blank = logAdd(next[prefix, default: Score()].blank, total + Double(row[blank]))
                if let last = prefix.last {
                    next[prefix, default: Score()].label = logAdd(next[prefix]!.label, score.label + Double(row[Int(last)]))
                }
                for c in 0..<classes where c != blank {
                    let p = Double(row[c])
                    var extended = prefix
                    extended.append(Int32(c))
                    // A repeat of the last label only extends after a blank.
                    let from = prefix.last == Int32(c) ? score.blank : total
                    next[extended, default: Score()].label = logAdd(next[extended, default: Score()].label, from + p)
                }
            }
            beams = Dictionary(uniqueKeysWithValues: next.sorted { lhs, rhs in
                let (a, b) = (lhs.value.total, rhs.value.total)
                return a != b ? a > b : lhs.key.lexicographicallyPrecedes(rhs.key)
            }.prefix(beamWidth).map { ($0.key, $0.value) })
        }
        return beams.max { lhs, rhs in
            let (a, b) = (lhs.value.total, rhs.value.total)
            return a != b ? a < b : rhs.key.lexicographicallyPrecedes(lhs.key)
        }?.key ?? []
    }
}

/// log(exp(a) + exp(b)) without overflow; −∞ is the log of 0.
@inline(__always)
func logAdd(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    let (hi, lo) = a > b ? (a, b) : (b, a)
    return hi + log1p(exp(lo - hi))
}
