// Reading a config: file → YAML tree (Yams.compose) → `--set` overrides applied on the tree →
// schema walk → validation. Writing one back: every key in schema order, defaults included.
import Foundation
import Yams

extension ConfigSection {
    /// Reads, overrides, decodes and validates the YAML file at `file`; with `checkingFiles`, also
    /// checks that the files it names exist (before training).
    public static func load(contentsOf file: String, overrides: [String] = [],
                            checkingFiles: Bool = false) throws(ConfigError) -> Self {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else {
            throw .unreadable(file: file, reason: "no such file")
        }
        guard !isFolder.boolValue else { throw .unreadable(file: file, reason: "it is a folder") }
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw .unreadable(file: file, reason: error.localizedDescription)
        }
        return try Self(yaml: text, file: file, overrides: overrides, checkingFiles: checkingFiles)
    }

    /// Decodes and validates `yaml` (keys absent from it keep their defaults) after applying the
    /// `overrides` (`optim.lr=3e-4`, later ones win); `file` names the text in errors.
    public init(yaml: String, file: String = "<config>", overrides: [String] = [],
                checkingFiles: Bool = false) throws(ConfigError) {
        let parsed = try overrides.map { (text: String) throws(ConfigError) in try ConfigOverride(parsing: text) }
        var tree = try composeConfig(yaml, file: file)
        var lines: [String: Int] = [:]
        recordLines(of: tree, at: "", into: &lines)
        for override in parsed { try override.apply(to: &tree) }
        let source = ConfigSource(file: file, lines: lines, overrides: parsed)
        self.init()
        try assign(tree, at: source.root)
        try validateTree(at: source.root)
        if checkingFiles { try checkFiles(at: source.root) }
    }

    /// The whole config as YAML: every key, defaults included, in the order the schema lists them,
    /// so that reading it back gives an equal value.
    public var yaml: String {
        var text = ""
        if case .mapping(let mapping) = configNode { writeYAML(mapping, indent: 0, into: &text) }
        return text
    }
}

/// One `--set KEY=VALUE`: a dotted key path and a value parsed as YAML (`3e-4`, `/x.tsv`,
/// `[0.9, 0.99]`, nothing for null).
public struct ConfigOverride: Sendable, Equatable {
    public let text: String
    public let keys: [String]
    let value: String

    public init(parsing text: String) throws(ConfigError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw .invalidOverride(override: text, reason: "expected KEY=VALUE, such as optim.lr=3e-4")
        }
        let keys = text[..<equals].split(separator: ".", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !keys.contains(where: \.isEmpty) else {
            throw .invalidOverride(override: text, reason: "the key must be a dotted path such as optim.lr")
        }
        self.text = text
        self.keys = keys
        self.value = String(text[text.index(after: equals)...])
        do {
            _ = try Yams.compose(yaml: value)
        } catch {
            throw .invalidOverride(override: text, reason: "the value is not YAML: \(yamlProblem(error).reason)")
        }
    }

    /// The dotted key it sets.
    public var keyPath: String { keys.joined(separator: ".") }

    /// Sets the value in `tree`, making the sections on the way when they are missing.
    func apply(to tree: inout Node) throws(ConfigError) {
        let node = (try? Yams.compose(yaml: value)) ?? nil
        tree = try setting(node ?? Node("null", Tag(.null)), at: keys[...], in: tree)
    }

    private func setting(_ value: Node, at keys: ArraySlice<String>, in node: Node) throws(ConfigError) -> Node {
        guard let key = keys.first else { return value }
        var pairs: [(Node, Node)] = []
        if case .mapping(let mapping) = node {
            pairs = mapping.map { ($0.key, $0.value) }
        } else if !node.isNull {
            let above = self.keys[..<keys.startIndex].joined(separator: ".")
            throw .invalidOverride(override: text, reason: "\(above) is \(node.shortDescription), not a section of keys")
        }
        if let index = pairs.lastIndex(where: { $0.0.scalar?.string == key }) {
            pairs[index].1 = try setting(value, at: keys.dropFirst(), in: pairs[index].1)
        } else {
            pairs.append((Node(key), try setting(value, at: keys.dropFirst(), in: Node("null", Tag(.null)))))
        }
        return .mapping(Node.Mapping(pairs))
    }
}

/// The document's root node (an empty mapping for an empty file), or the parser's complaint.
private func composeConfig(_ yaml: String, file: String) throws(ConfigError) -> Node {
    do {
        return try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
    } catch {
        let problem = yamlProblem(error)
        throw .malformedYAML(file: file, line: problem.line, column: problem.column, reason: problem.reason)
    }
}

/// Yams' error as one line: libyaml's problem, its context, and where.
private func yamlProblem(_ error: any Error) -> (reason: String, line: Int?, column: Int?) {
    guard let error = error as? YamlError else { return ("\(error)", nil, nil) }
    switch error {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
         .composer(let context, let problem, let mark, _):
        let during = context.map { " (\($0.text) from line \($0.mark.line))" } ?? ""
        return (problem + during, mark.line, mark.column)
    case .reader(let problem, _, _, _):
        return (problem, nil, nil)
    default:
        return ("\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable YAML", nil, nil)
    }
}

/// The line of every key in the file, by key path, for errors found after decoding.
private func recordLines(of node: Node, at keyPath: String, into lines: inout [String: Int]) {
    switch node {
    case .mapping(let mapping):
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { continue }
            let child = keyPath.isEmpty ? name : "\(keyPath).\(name)"
            lines[child] = key.mark?.line
            recordLines(of: value, at: child, into: &lines)
        }
    case .sequence(let sequence):
        for (index, item) in sequence.enumerated() {
            lines["\(keyPath)[\(index)]"] = item.mark?.line
            recordLines(of: item, at: "\(keyPath)[\(index)]", into: &lines)
        }
    case .scalar:
        break
    }
}

// MARK: - Writing

private func writeYAML(_ mapping: Node.Mapping, indent: Int, into text: inout String) {
    let pad = String(repeating: " ", count: indent)
    for (key, value) in mapping {
        let name = key.scalar.map(yamlScalar) ?? "?"
        if case .mapping(let child) = value, !child.isEmpty {
            text += "\(pad)\(name):\n"
            writeYAML(child, indent: indent + 2, into: &text)
        } else {
            text += "\(pad)\(name): \(yamlFlow(value))\n"
        }
    }
}

/// A node on one line: scalars, `[a, b]`, `{k: v}`.
private func yamlFlow(_ node: Node) -> String {
    switch node {
    case .scalar(let scalar): return yamlScalar(scalar)
    case .sequence(let sequence): return "[" + sequence.map(yamlFlow).joined(separator: ", ") + "]"
    case .mapping(let mapping):
        return "{" + mapping.map { "\(yamlFlow($0.key)): \(yamlFlow($0.value))" }.joined(separator: ", ") + "}"
    }
}

/// Numbers, booleans and null as written; strings plain when YAML reads them back as the same
/// string, double-quoted otherwise (`"yes"`, `"1.5"`, `""`, `"a: b"`).
private func yamlScalar(_ scalar: Node.Scalar) -> String {
    let text = scalar.string
    guard scalar.tagName == .str || scalar.tagName == .implicit else { return text }
    let indicators = Set("-?:,[]{}#&*!|>'\"%@`")
    let plain = !text.isEmpty && !indicators.contains(text.first!)
        && text.first != " " && text.last != " " && !text.contains(": ") && !text.contains(" #")
        && !text.contains(where: { $0.isNewline || $0 == "\t" || $0.asciiValue.map { $0 < 0x20 } == true })
        && Resolver.default.resolveTag(of: Node(text)) == .str
    if plain { return text }
    var quoted = "\""
    for character in text {
        switch character {
        case "\"": quoted += "\\\""
        case "\\": quoted += "\\\\"
        case "\n": quoted += "\\n"
        case "\t": quoted += "\\t"
        default: quoted.append(character)
        }
    }
    return quoted + "\""
}

extension ConfigSection {
    /// The keys whose values differ from `other`'s, each as `optim.lr: 0.001 → 0.0005` (other's
    /// value first), in key order.
    public func differences(from other: Self) -> [String] {
        var mine: [String: String] = [:]
        var theirs: [String: String] = [:]
        flatten(configNode, at: "", into: &mine)
        flatten(other.configNode, at: "", into: &theirs)
        return mine.keys.sorted().compactMap { key in
            mine[key] == theirs[key] ? nil : "\(key): \(theirs[key] ?? "(none)") → \(mine[key] ?? "(none)")"
        }
    }
}

/// Every scalar (and flow list) of `node` by its dotted key path.
private func flatten(_ node: Node, at path: String, into values: inout [String: String]) {
    switch node {
    case .mapping(let mapping):
        for (key, value) in mapping {
            let name = key.scalar?.string ?? "?"
            flatten(value, at: path.isEmpty ? name : "\(path).\(name)", into: &values)
        }
    case .sequence(let sequence):
        values[path] = "[" + sequence.map { $0.scalar?.string ?? "…" }.joined(separator: ", ") + "]"
    case .scalar(let scalar):
        values[path] = scalar.string
    }
}
