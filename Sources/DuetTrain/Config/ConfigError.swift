// ConfigError: every way a config file or a `--set` override can be wrong, each one line naming the
// file (or the override), the line where known, and the key path; and the nearest-key suggestion.

/// A configuration that cannot be read, parsed, decoded or validated. `description` is the one
/// line a user sees: `configs/a.yaml:7: unknown key optim.learning_rate; did you mean optim.lr?`.
///
/// `file` is the config file's path, or `--set KEY=VALUE` when an override brought the key in.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist or cannot be read.
    case unreadable(file: String, reason: String)
    /// The text is not YAML (tab indentation, an unclosed bracket, ...).
    case malformedYAML(file: String, line: Int?, column: Int?, reason: String)
    /// A key the schema does not have at that level; `suggestion` is the nearest valid key path.
    case unknownKey(file: String, line: Int?, keyPath: String, suggestion: String?, validKeys: [String])
    /// A value of the wrong kind: `expected` "a number", `got` "'fast'".
    case typeMismatch(file: String, line: Int?, keyPath: String, expected: String, got: String)
    /// A value of the right kind that is out of range or inconsistent with another key.
    case invalidValue(file: String, line: Int?, keyPath: String, reason: String)
    /// A `--set` argument that is not `KEY=VALUE` or whose value is not YAML.
    case invalidOverride(override: String, reason: String)

    /// The file (or `--set KEY=VALUE`) the error is in.
    public var file: String {
        switch self {
        case .unreadable(let file, _), .malformedYAML(let file, _, _, _), .unknownKey(let file, _, _, _, _),
             .typeMismatch(let file, _, _, _, _), .invalidValue(let file, _, _, _):
            return file
        case .invalidOverride(let override, _):
            return "--set \(override)"
        }
    }

    /// The dotted key path (`optim.betas[1]`) the error is about, when it is about one.
    public var keyPath: String? {
        switch self {
        case .unknownKey(_, _, let keyPath, _, _), .typeMismatch(_, _, let keyPath, _, _),
             .invalidValue(_, _, let keyPath, _):
            return keyPath
        case .unreadable, .malformedYAML, .invalidOverride:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the config: \(reason)"
        case .malformedYAML(let file, let line, let column, let reason):
            return "\(Self.location(file, line, column)): malformed YAML: \(reason)"
        case .unknownKey(let file, let line, let keyPath, let suggestion, let validKeys):
            let hint = suggestion.map { "did you mean \($0)?" } ?? "valid keys here: \(validKeys.joined(separator: ", "))"
            return "\(Self.location(file, line, nil)): unknown key \(keyPath); \(hint)"
        case .typeMismatch(let file, let line, let keyPath, let expected, let got):
            return "\(Self.location(file, line, nil)): \(keyPath): expected \(expected), got \(got)"
        case .invalidValue(let file, let line, let keyPath, let reason):
            return "\(Self.location(file, line, nil)): \(keyPath): \(reason)"
        case .invalidOverride(let override, let reason):
            return "--set \(override): \(reason)"
        }
    }

    private static func location(_ file: String, _ line: Int?, _ column: Int?) -> String {
        guard let line else { return file }
        return column.map { "\(file):\(line):\($0)" } ?? "\(file):\(line)"
    }
}

/// The candidate a user most likely meant by `key`, or nil when none is close. Beyond edit distance
/// (typos: `dpth` → `depth`) it knows the two habits edit distance misses: spelling out an
/// abbreviation (`learning_rate` → `lr`, `wd` → `weight_decay`) and writing a prefix or another
/// case convention (`warmup` → `warmup_steps`, `batchSize` → `batch_size`).
func nearestKey(to key: String, among candidates: [String]) -> String? {
    let wanted = normalised(key)
    if let same = candidates.first(where: { normalised($0) == wanted }) { return same }
    if let abbreviation = candidates.first(where: { initials(of: $0) == wanted || initials(of: key) == normalised($0) }) {
        return abbreviation
    }
    var best: (key: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(wanted, normalised(candidate))
        if distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    if let best, best.distance <= max(1, min(wanted.count, best.key.count) / 3) { return best.key }
    let prefixed = candidates.filter { wanted.count >= 3 && normalised($0).hasPrefix(wanted) }
    return prefixed.count == 1 ? prefixed[0] : nil
}

/// Lowercased with the separators of snake, kebab and camel case removed.
private func normalised(_ key: String) -> String {
    String(key.lowercased().filter { $0 != "_" && $0 != "-" })
}

/// The first letters of the words of a multi-word key (`learning_rate` → `lr`); nil for one word.
private func initials(of key: String) -> String? {
    let words = key.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" })
    return words.count > 1 ? String(words.compactMap(\.first)) : nil
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previous2[j - 2] + 1)
            }
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
