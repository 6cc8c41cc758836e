// WER and CER on hand-made pairs: substitutions, deletions, insertions, empty hypotheses and
// references, and the corpus-level sums RAVEn and Auto-AVSR divide.
import Testing
@testable import DuetTrain

@Suite struct ErrorRateTests {
    func words(_ s: String) -> [String] { s.split(separator: " ").map(String.init) }

    @Test func editKinds() {
        #expect(EditCounts.between(words("a b c"), words("a b c")) == EditCounts(reference: 3))
        #expect(EditCounts.between(words("a b c"), words("a x c")) == EditCounts(substitutions: 1, reference: 3))
        #expect(EditCounts.between(words("a b c"), words("a c")) == EditCounts(deletions: 1, reference: 3))
        #expect(EditCounts.between(words("a b c"), words("a b x c")) == EditCounts(insertions: 1, reference: 3))
        #expect(EditCounts.between(words("a b c"), []) == EditCounts(deletions: 3, reference: 3))
        #expect(EditCounts.between([], words("a b")) == EditCounts(insertions: 2, reference: 0))
        // Two substitutions beat a deletion and an insertion of equal cost... here 2 edits either way.
        let swapped = EditCounts.between(words("a b"), words("b a"))
        #expect(swapped.errors == 2 && swapped.substitutions == 2)
        // kitten → sitting: 2 substitutions and 1 insertion (Levenshtein 3).
        let kitten = EditCounts.between(Array("kitten"), Array("sitting"))
        #expect(kitten == EditCounts(substitutions: 2, insertions: 1, reference: 6))
    }

    @Test func corpusLevelRates() {
        var rates = ErrorRates()
        rates.add(reference: "pat bat mat", hypothesis: "pat mat")        // 1 deletion of 3 words
        rates.add(reference: "no", hypothesis: "no go")                   // 1 insertion of 1 word
        rates.add(reference: "fan van", hypothesis: "")                   // 2 deletions of 2 words
        #expect(rates.words == EditCounts(deletions: 3, insertions: 1, reference: 6))
        #expect(abs(rates.wer - 4.0 / 6.0) < 1e-12)  // not the mean of 1/3, 1, 1
        // Characters without spaces: "patbatmat"→"patmat" 3 deletions; "no"→"nogo" 2 insertions;
        // "fanvan"→"" 6 deletions; reference 9 + 2 + 6 = 17.
        #expect(rates.characters == EditCounts(deletions: 9, insertions: 2, reference: 17))
        #expect(abs(rates.cer - 11.0 / 17.0) < 1e-12)
    }

    @Test func emptyReferences() {
        var rates = ErrorRates()
        rates.add(reference: "", hypothesis: "")
        #expect(rates.wer == 0)
        rates.add(reference: "", hypothesis: "x")
        #expect(rates.wer == .infinity)
    }
}
