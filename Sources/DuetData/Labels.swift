// Label files parallel to a manifest (line i labels entry i), as fairseq keeps them: `.wrd` (one
// transcript a line), `.lbl` (one class a line); and a vocabulary mapping symbols to indices.
import Foundation

/// What a label file's lines hold.
public enum LabelKind: String, Sendable, Equatable {
    /// A sequence a line, split at white space: words (`.wrd`), phonemes (`.phn`), letters
    /// (`.ltr`) or cluster ids (`.km`).
    case words
    /// One class a line (`.lbl`).
    case classes

    /// The kind a file's extension implies, nil for others.
    public init?(extension ext: String) {
        switch ext.lowercased() {
        case "wrd", "phn", "ltr", "km": self = .words
        case "lbl": self = .classes
        default: return nil
        }
    }
}

/// The lines of one label file.
public struct LabelFile: Sendable, Equatable {
    public let file: String
    public let kind: LabelKind
    public let lines: [String]

    public init(file: String, kind: LabelKind, lines: [String]) {
        self.file = file
        self.kind = kind
        self.lines = lines
    }

    /// Reads `path`; the kind comes from its extension unless given. With `entries`, the line
    /// count must match the manifest's.
    public static func load(contentsOf path: String, kind: LabelKind? = nil, entries: Int? = nil) throws(DataError) -> LabelFile {
        guard let kind = kind ?? LabelKind(extension: (path as NSString).pathExtension) else {
            throw .invalidOption(name: path, reason: "a label file ends in .wrd, .phn, .ltr, .km (sequences) or .lbl (classes); pass the kind for others")
        }
        let lines = splitLines(try readText(path)).map { $0.trimmingCharacters(in: .whitespaces) }
        if let entries, lines.count != entries { throw .labelCountMismatch(file: path, labels: lines.count, entries: entries) }
        if kind == .classes, let empty = lines.firstIndex(where: \.isEmpty) {
            throw .malformed(file: path, line: empty + 1, reason: "empty class label")
        }
        return LabelFile(file: path, kind: kind, lines: lines)
    }

    /// The label file beside a manifest: `train.tsv` → `train.wrd` for `extension: "wrd"`.
    public static func path(besideManifest manifest: String, extension ext: String) -> String {
        ((manifest as NSString).deletingPathExtension as NSString).appendingPathExtension(ext) ?? manifest + "." + ext
    }

    /// The symbols of line `index`: its words, or the whole line as one class.
    public func symbols(_ index: Int) -> [String] {
        kind == .words ? lines[index].split(whereSeparator: \.isWhitespace).map(String.init) : [lines[index]]
    }

    public func write(to path: String) throws(DataError) {
        try writeText(lines.map { $0 + "\n" }.joined(), to: path)
    }
}

/// Symbols (words or classes) and their indices: the line order of a vocabulary file, whose
/// lines are `symbol` or fairseq's `symbol count`.
public struct Vocabulary: Sendable, Equatable {
    public let symbols: [String]
    private let indices: [String: Int32]

    /// The symbol unknown words map to, when the vocabulary has it.
    public static let unknown = "<unk>"

    public init(symbols: [String]) {
        self.symbols = symbols
        var indices: [String: Int32] = [:]
        for (i, s) in symbols.enumerated() where indices[s] == nil { indices[s] = Int32(i) }
        self.indices = indices
    }

    public var count: Int { symbols.count }

    public func index(of symbol: String) -> Int32? { indices[symbol] }

    public static func load(contentsOf path: String) throws(DataError) -> Vocabulary {
        var symbols: [String] = []
        var seen: [String: Int] = [:]
        for (offset, line) in splitLines(try readText(path)).enumerated() {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard let symbol = fields.first.map(String.init) else {
                throw .malformed(file: path, line: offset + 1, reason: "empty line in a vocabulary")
            }
            guard fields.count <= 2 || fields.last == "#fairseq:overwrite" else {
                throw .malformed(file: path, line: offset + 1, reason: "expected `symbol` or `symbol count`, found \(fields.count) fields")
            }
            if let first = seen[symbol] {
                throw .malformed(file: path, line: offset + 1, reason: "'\(symbol)' is already on line \(first)")
            }
            seen[symbol] = offset + 1
            symbols.append(symbol)
        }
        guard !symbols.isEmpty else { throw .io(file: path, reason: "the vocabulary is empty") }
        return Vocabulary(symbols: symbols)
    }

    /// Every symbol of `labels`, most frequent first (ties by name), as fairseq builds dict.txt.
    public static func building(from labels: LabelFile) -> Vocabulary {
        var counts: [String: Int] = [:]
        for i in labels.lines.indices { for s in labels.symbols(i) { counts[s, default: 0] += 1 } }
        return Vocabulary(symbols: counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key))
    }

    /// One symbol a line.
    public func write(to path: String) throws(DataError) {
        try writeText(symbols.map { $0 + "\n" }.joined(), to: path)
    }
}

/// A label file turned into indices once, so a bad symbol stops a run before it starts.
public struct LabelSet: Sendable, Equatable {
    public let labels: LabelFile
    public let vocabulary: Vocabulary?
    /// Indices per entry: a transcript's words, or one class.
    public let encoded: [[Int32]]

    /// Encodes every line with `vocabulary`; unknown symbols map to `<unk>` when it has one and
    /// are an error naming the line otherwise. A class label that is an integer and not a symbol
    /// of the vocabulary is an index into it; without a vocabulary, class labels must be integers.
    public init(_ labels: LabelFile, vocabulary: Vocabulary?) throws(DataError) {
        let unknown = vocabulary?.index(of: Vocabulary.unknown)
        var encoded: [[Int32]] = []
        encoded.reserveCapacity(labels.lines.count)
        for i in labels.lines.indices {
            var row: [Int32] = []
            for symbol in labels.symbols(i) {
                if let vocabulary {
                    let position = labels.kind == .classes ? Int32(symbol).flatMap { $0 >= 0 && Int($0) < vocabulary.count ? $0 : nil } : nil
                    guard let index = vocabulary.index(of: symbol) ?? position ?? unknown else {
                        throw .malformed(file: labels.file, line: i + 1, reason: "'\(symbol)' is not in the vocabulary (and it has no <unk>)")
                    }
                    row.append(index)
                } else {
                    guard labels.kind == .classes, let index = Int32(symbol), index >= 0 else {
                        throw .malformed(file: labels.file, line: i + 1,
                                         reason: "'\(symbol)' needs a vocabulary (only class labels that are integers ≥ 0 do without one)")
                    }
                    row.append(index)
                }
            }
            encoded.append(row)
        }
        self.labels = labels
        self.vocabulary = vocabulary
        self.encoded = encoded
    }
}
