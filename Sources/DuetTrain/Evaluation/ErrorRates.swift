// Word and character error rates as RAVEn and Auto-AVSR report them: Levenshtein distances summed
// over the corpus, divided by the reference length summed over the corpus (not a mean of
// per-utterance rates); CER over characters with the spaces removed, as ESPnet's error calculator.

/// Edits turning a reference into a hypothesis, by kind.
public struct EditCounts: Sendable, Equatable {
    public var substitutions = 0
    public var deletions = 0
    public var insertions = 0
    /// Reference length.
    public var reference = 0

    public init(substitutions: Int = 0, deletions: Int = 0, insertions: Int = 0, reference: Int = 0) {
        (self.substitutions, self.deletions, self.insertions, self.reference) = (substitutions, deletions, insertions, reference)
    }

    public var errors: Int { substitutions + deletions + insertions }

    /// errors / reference length (0 for an empty reference with no errors, ∞ with some).
    public var rate: Double {
        reference > 0 ? Double(errors) / Double(reference) : (errors == 0 ? 0 : .infinity)
    }

    public static func + (a: EditCounts, b: EditCounts) -> EditCounts {
        EditCounts(substitutions: a.substitutions + b.substitutions, deletions: a.deletions + b.deletions,
                   insertions: a.insertions + b.insertions, reference: a.reference + b.reference)
    }

    /// The minimal edits from `reference` to `hypothesis` (Levenshtein, each edit costing 1;
    /// among equally short paths, substitutions are preferred to a deletion plus an insertion).
    public static func between<T: Equatable>(_ reference: [T], _ hypothesis: [T]) -> EditCounts {
        let (n, m) = (reference.count, hypothesis.count)
        // cost[i][j], and the counts along the chosen path, for reference[..<i] → hypothesis[..<j].
        var previous = (0...m).map { EditCounts(insertions: $0) }
        for i in 1...max(n, 1) where n > 0 {
            var row = [EditCounts(deletions: i)]
            for j in 1...max(m, 1) where m > 0 {
                let same = reference[i - 1] == hypothesis[j - 1]
                var diagonal = previous[j - 1]
                if !same { diagonal.substitutions += 1 }
                var up = previous[j]
                up.deletions += 1
                var left = row[j - 1]
                left.insertions += 1
                row.append([diagonal, up, left].min { $0.errors < $1.errors }!)
            }
            previous = row
        }
        var result = previous[m]
        result.reference = n
        return result
    }
}

/// Corpus-level WER and CER over pairs of (reference, hypothesis) transcripts.
public struct ErrorRates: Sendable, Equatable {
    public var words = EditCounts()
    public var characters = EditCounts()

    public init() {}

    public var wer: Double { words.rate }
    public var cer: Double { characters.rate }

    /// Adds one utterance: words split at white space; characters of the words, spaces removed.
    public mutating func add(reference: String, hypothesis: String) {
        let r = reference.split(whereSeparator: \.isWhitespace).map(String.init)
        let h = hypothesis.split(whereSeparator: \.isWhitespace).map(String.init)
        words = words + .between(r, h)
        characters = characters + .between(Array(r.joined()), Array(h.joined()))
    }
}
