// The synthetic corpus's 30 words, spelled in its phonemes. The list holds minimal pairs and
// triples whose members look alike on the lips (pat/bat/mat, pole/bowl/mole, fan/van,
// toe/doe/no, bed/pen) and sound different.

/// A word of the synthetic corpus: its text and its spelling in `Phoneme.inventory` symbols.
public struct SyntheticWord: Sendable, Equatable {
    public let text: String
    public let phonemes: [String]

    public init(_ text: String, _ phonemes: String) {
        self.text = text
        self.phonemes = phonemes.split(separator: " ").map(String.init)
    }

    /// The word's viseme classes in order: two words with the same sequence look the same.
    public var visemeClasses: [String] { phonemes.compactMap { Phoneme.named($0)?.visemeClass } }

    /// The vocabulary in a fixed order; a word's index is its class in `.lbl` files.
    public static let vocabulary: [SyntheticWord] = [
        SyntheticWord("pat", "p ae t"), SyntheticWord("bat", "b ae t"), SyntheticWord("mat", "m ae t"),
        SyntheticWord("pole", "p ow l"), SyntheticWord("bowl", "b ow l"), SyntheticWord("mole", "m ow l"),
        SyntheticWord("fan", "f ae n"), SyntheticWord("van", "v ae n"),
        SyntheticWord("toe", "t ow"), SyntheticWord("doe", "d ow"), SyntheticWord("no", "n ow"),
        SyntheticWord("sea", "s iy"), SyntheticWord("she", "sh iy"), SyntheticWord("key", "k iy"),
        SyntheticWord("go", "g ow"), SyntheticWord("low", "l ow"), SyntheticWord("we", "w iy"),
        SyntheticWord("moon", "m uw n"), SyntheticWord("boot", "b uw t"), SyntheticWord("food", "f uw d"),
        SyntheticWord("sheep", "sh iy p"), SyntheticWord("soup", "s uw p"), SyntheticWord("map", "m ae p"),
        SyntheticWord("cap", "k ae p"), SyntheticWord("lamb", "l ae m"), SyntheticWord("bed", "b eh d"),
        SyntheticWord("pen", "p eh n"), SyntheticWord("ten", "t eh n"), SyntheticWord("wet", "w eh t"),
        SyntheticWord("vet", "v eh t"),
    ]

    /// The word with this text, nil when the vocabulary has none.
    public static func named(_ text: String) -> SyntheticWord? { vocabulary.first { $0.text == text } }
}
