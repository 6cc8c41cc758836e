// The data of a fine-tuning task: the train / valid / test manifests (the config's, or the
// synthetic corpus's words-* / sentences-* splits), their labels as class indices or as letters
// for CTC, the unit inventory, and the seeded, stratified subset `data.label_fraction` keeps.
import DuetData
import DuetTensor
import Foundation

/// Which split of the task's data.
public enum TaskSplit: String, Sendable, CaseIterable {
    case train, valid, test
}

public struct FineTuningData: Sendable {
    public let task: TaskConfig
    /// The manifest of each split that has one.
    public let manifests: [TaskSplit: String]
    /// Output units: the word classes (`word`), or "<blank>", "|" (between words) and the letters
    /// (`ctc`, the blank first at index 0).
    public let units: Vocabulary

    public static let blank = "<blank>"
    public static let wordBoundary = "|"

    /// Resolves the manifests and builds the units. With the synthetic corpus (`data.manifest:
    /// null`) the corpus is made once and cached.
    public init(config: RunConfig, log: (String) -> Void = { _ in }) throws(TrainError) {
        guard let task = config.task else { throw .usage("the config has no task section: it is a pretraining recipe") }
        self.task = task
        var manifests: [TaskSplit: String] = [:]
        var vocabularyFile = task.vocabulary
        if let train = config.data.manifest {
            manifests[.train] = train
            manifests[.valid] = config.data.validManifest
            manifests[.test] = config.data.testManifest
            vocabularyFile = vocabularyFile ?? train.replacingLastComponent(with: "vocab.txt")
        } else {
            let corpus = try SyntheticCorpusCache.corpus(config, log: log)
            for split in TaskSplit.allCases {
                manifests[split] = corpus.appendingPathComponent(task.syntheticClips.manifest(split: split.rawValue)).path
            }
            vocabularyFile = vocabularyFile ?? corpus.appendingPathComponent("vocab.txt").path
        }
        self.manifests = manifests
        switch task.kind {
        case .word:
            guard let file = vocabularyFile else { throw .usage("task.vocabulary: give the word list the .lbl files index") }
            do { units = try Vocabulary.load(contentsOf: file) } catch { throw .data(error.description) }
        case .ctc:
            guard let train = manifests[.train] else { throw .usage("data.manifest: a ctc task needs a training manifest") }
            units = try Self.letters(of: try Self.labelFile(beside: train, task: task))
        }
    }

    /// The label file beside `manifest` (`train.tsv` → `train.lbl` or `train.wrd`).
    static func labelFile(beside manifest: String, task: TaskConfig) throws(TrainError) -> LabelFile {
        let path = LabelFile.path(besideManifest: manifest, extension: task.labelExtension)
        do {
            let entries = try Manifest.load(contentsOf: manifest).count
            return try LabelFile.load(contentsOf: path, entries: entries)
        } catch {
            throw .data("\(error.description) (a \(task.kind.rawValue) task reads labels from the .\(task.labelExtension) file beside each manifest)")
        }
    }

    /// The letter inventory of transcripts: the blank, the word boundary, then every character
    /// of the training transcripts in code-point order (as fairseq's letter dictionary is built
    /// from the training labels).
    static func letters(of labels: LabelFile) throws(TrainError) -> Vocabulary {
        var characters = Set<Character>()
        for line in labels.lines { for c in line where !c.isWhitespace { characters.insert(c) } }
        let symbols = characters.map(String.init).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        if symbols.contains(blank) || symbols.contains(wordBoundary) {
            throw .data("\(labels.file): transcripts may not contain '\(wordBoundary)'")
        }
        return Vocabulary(symbols: [blank, wordBoundary] + symbols)
    }

    /// The transcripts as fairseq's `.ltr` lines: letters separated by spaces, `|` between words.
    static func letterLines(_ labels: LabelFile) -> LabelFile {
        let lines = labels.lines.map { line in
            line.split(whereSeparator: \.isWhitespace).map { $0.map(String.init).joined(separator: " ") }
                .joined(separator: " \(wordBoundary) ")
        }
        return LabelFile(file: labels.file, kind: .words, lines: lines)
    }

    /// The labels of `split` as unit indices; letters outside the training inventory are an error
    /// naming the file and line.
    public func labels(_ split: TaskSplit) throws(TrainError) -> LabelSet {
        guard let manifest = manifests[split] else { throw .usage("no \(split.rawValue) manifest (data.\(Self.key(split)))") }
        let file = try Self.labelFile(beside: manifest, task: task)
        do {
            return try LabelSet(task.kind == .word ? file : Self.letterLines(file), vocabulary: units)
        } catch {
            throw .data(error.description)
        }
    }

    /// The config key that names `split`'s manifest.
    static func key(_ split: TaskSplit) -> String {
        switch split {
        case .train: return "manifest"
        case .valid: return "valid_manifest"
        case .test: return "test_manifest"
        }
    }

    /// The number of classes of the task's output layer: the words, or the letters plus blank.
    public var outputClasses: Int { units.count }

    /// The transcript or word of a label sequence, as a person reads it.
    public func text(_ labels: [Int32]) -> String {
        switch task.kind {
        case .word:
            return labels.map { Int($0) < units.count ? units.symbols[Int($0)] : "?" }.joined(separator: " ")
        case .ctc:
            var words: [String] = [], word = ""
            for index in labels where index > 0 && Int(index) < units.count {
                let symbol = units.symbols[Int(index)]
                if symbol == Self.wordBoundary {
                    if !word.isEmpty { words.append(word) }
                    word = ""
                } else {
                    word += symbol
                }
            }
            if !word.isEmpty { words.append(word) }
            return words.joined(separator: " ")
        }
    }
}

/// The seeded subset of the training entries a label fraction keeps: per class (the first label of
/// each entry) round(fraction × class size) entries, at least one, drawn by a seeded shuffle, so
/// every class keeps an example (stratified, as label-deficient splits are usually made). Sorted.
public func labelFractionSubset(_ labels: [[Int32]], fraction: Double, seed: UInt64) -> [Int] {
    guard fraction < 1 else { return Array(labels.indices) }
    var byClass: [Int32: [Int]] = [:]
    for (i, row) in labels.enumerated() { byClass[row.first ?? -1, default: []].append(i) }
    var kept: [Int] = []
    for (label, members) in byClass.sorted(by: { $0.key < $1.key }) {
        let stream = RandomStream(seed: seed).derived(0x6C61_6265_6C73, UInt64(bitPattern: Int64(label)))
        let order = stream.permutation(members.count)
        let take = max(1, Int((fraction * Double(members.count)).rounded()))
        kept += order.prefix(take).map { members[$0] }
    }
    return kept.sorted()
}

extension String {
    /// The path with its last component replaced (`/a/train.txt` → `/a/vocab.txt`).
    func replacingLastComponent(with name: String) -> String {
        ((self as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }
}
