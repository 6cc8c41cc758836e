// The schema the config structs declare: each section lists its keys once (`ConfigField`), and that
// one list drives decoding from the YAML tree, unknown-key detection, validation, writing and Codable.
import Foundation
import Yams

/// A value a config key can hold: a number, a string, a choice, a list, or a whole section.
public protocol ConfigValue {
    /// Reads the value at `path` from a YAML node (for a section: only the keys the node has).
    mutating func assign(_ node: Node, at path: ConfigPath) throws(ConfigError)
    /// The value as a YAML node with resolved tags, for writing and for Codable.
    var configNode: Node { get }
    /// Checks the value (for a section: its fields, then its own rules).
    func validateTree(at path: ConfigPath) throws(ConfigError)
}

extension ConfigValue {
    public func validateTree(at path: ConfigPath) throws(ConfigError) {}
}

/// A group of keys (`optim`, `model.audio`): defaults from `init()`, keys from `fields` in the
/// order they are written, rules in `validate(at:)`.
public protocol ConfigSection: ConfigValue, DefaultConstructible, Codable {
    static var fields: [ConfigField<Self>] { get }
    /// The section's own rules, run after its fields are checked; `path` names the section.
    func validate(at path: ConfigPath) throws(ConfigError)
    /// Checks that the files the config names exist (for a whole config, when asked to).
    func checkFiles(at path: ConfigPath) throws(ConfigError)
}

/// One key of a section: its YAML name and the property it sets.
public struct ConfigField<Section> {
    public let key: String
    let read: (inout Section, Node, ConfigPath) throws(ConfigError) -> Void
    let write: (Section) -> Node
    let check: (Section, ConfigPath) throws(ConfigError) -> Void

    public init<Value: ConfigValue>(_ key: String, _ property: WritableKeyPath<Section, Value>) {
        self.key = key
        read = { (section: inout Section, node: Node, path: ConfigPath) throws(ConfigError) in
            try section[keyPath: property].assign(node, at: path)
        }
        write = { $0[keyPath: property].configNode }
        check = { (section: Section, path: ConfigPath) throws(ConfigError) in
            try section[keyPath: property].validateTree(at: path)
        }
    }

    private init(key: String, read: @escaping (inout Section, Node, ConfigPath) throws(ConfigError) -> Void,
                 write: @escaping (Section) -> Node, check: @escaping (Section, ConfigPath) throws(ConfigError) -> Void) {
        (self.key, self.read, self.write, self.check) = (key, read, write, check)
    }

    /// This key as one of an enclosing section that stores this section at `property` but spells
    /// its keys at its own level (a tower's `dim` beside its `patch`).
    func flattened<Outer>(into property: WritableKeyPath<Outer, Section>) -> ConfigField<Outer> {
        let (read, write, check) = (self.read, self.write, self.check)
        return ConfigField<Outer>(
            key: key,
            read: { (outer: inout Outer, node: Node, path: ConfigPath) throws(ConfigError) in
                try read(&outer[keyPath: property], node, path)
            },
            write: { write($0[keyPath: property]) },
            check: { (outer: Outer, path: ConfigPath) throws(ConfigError) in try check(outer[keyPath: property], path) })
    }
}

extension ConfigSection {
    public func validate(at path: ConfigPath) throws(ConfigError) {}
    public func checkFiles(at path: ConfigPath) throws(ConfigError) {}

    /// A mapping updates only the keys it names; a null (`audio:` with nothing below) keeps all.
    public mutating func assign(_ node: Node, at path: ConfigPath) throws(ConfigError) {
        if node.isNull { return }
        guard case .mapping(let mapping) = node else { throw path.mismatch(expected: "a mapping of keys", got: node) }
        let fields = Self.fields
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw path.mismatch(expected: "plain keys", got: keyNode)
            }
            let child = path[key]
            guard let field = fields.first(where: { $0.key == key }) else {
                throw path.unknownKey(key, among: fields.map(\.key))
            }
            guard seen.insert(key).inserted else { throw child.invalid("given twice") }
            try field.read(&self, value, child)
        }
    }

    /// Checks a config built or changed in code, as loading checks one read from a file.
    public func validate() throws(ConfigError) {
        try validateTree(at: ConfigSource(file: "<config>").root)
    }

    public var configNode: Node {
        .mapping(Node.Mapping(Self.fields.map { (Node($0.key), $0.write(self)) }))
    }

    public func validateTree(at path: ConfigPath) throws(ConfigError) {
        for field in Self.fields { try field.check(self, path[field.key]) }
        try validate(at: path)
    }

    // Codable goes through the same tree, so JSON (state.json) has the YAML's snake_case keys and
    // decoding it applies the same defaults, unknown-key checks and validation.
    public init(from decoder: any Decoder) throws {
        self.init()
        let source = ConfigSource(file: "<decoded>")
        let node = try Node(decoding: decoder)
        do {
            try assign(node, at: source.root)
            try validateTree(at: source.root)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try configNode.encode(to: encoder)
    }
}

/// Where a config came from: the file's name and its lines by key path, and the `--set`
/// overrides applied on top, so that an error can name whichever of them the key came from.
public struct ConfigSource: Sendable {
    public let file: String
    let lines: [String: Int]
    let overrides: [ConfigOverride]

    public init(file: String, lines: [String: Int] = [:], overrides: [ConfigOverride] = []) {
        self.file = file
        self.lines = lines
        self.overrides = overrides
    }

    /// The path of the whole config.
    public var root: ConfigPath { ConfigPath(keyPath: "", source: self) }

    /// The override that set `keyPath` or a section above it (the last one wins, as in applying),
    /// or that made the section `keyPath` on its way; else the file and the line of the key in it.
    func origin(of keyPath: String) -> (file: String, line: Int?) {
        let override = overrides.last { isKeyPath(keyPath, within: $0.keyPath) }
            ?? overrides.last { lines[keyPath] == nil && isKeyPath($0.keyPath, within: keyPath) }
        if let override { return ("--set \(override.text)", nil) }
        return (file, lines[keyPath])
    }
}

/// A position in the config, `optim.betas[1]`, that makes the errors found there.
public struct ConfigPath: Sendable, CustomStringConvertible {
    public let keyPath: String
    public let source: ConfigSource

    public var description: String { keyPath }

    public subscript(key: String) -> ConfigPath {
        ConfigPath(keyPath: keyPath.isEmpty ? key : "\(keyPath).\(key)", source: source)
    }

    public subscript(index: Int) -> ConfigPath {
        ConfigPath(keyPath: "\(keyPath)[\(index)]", source: source)
    }

    /// The key path as errors show it.
    private var shown: String { keyPath.isEmpty ? "(top level)" : keyPath }

    /// `key` is not among the `validKeys` of the section at this path.
    public func unknownKey(_ key: String, among validKeys: [String]) -> ConfigError {
        let child = self[key].keyPath
        let (file, line) = source.origin(of: child)
        return .unknownKey(file: file, line: line, keyPath: child,
                           suggestion: nearestKey(to: key, among: validKeys).map { self[$0].keyPath },
                           validKeys: validKeys)
    }

    public func mismatch(expected: String, got node: Node) -> ConfigError {
        let (file, line) = source.origin(of: keyPath)
        return .typeMismatch(file: file, line: line, keyPath: shown, expected: expected, got: node.shortDescription)
    }

    public func invalid(_ reason: String) -> ConfigError {
        let (file, line) = source.origin(of: keyPath)
        return .invalidValue(file: file, line: line, keyPath: shown, reason: reason)
    }

    /// Throws `invalid(reason)` unless `condition` holds.
    public func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws(ConfigError) {
        if !condition { throw invalid(reason()) }
    }

    public func requirePositive<N: Numeric & Comparable & CustomStringConvertible>(_ value: N) throws(ConfigError) {
        try require(value > 0, "must be positive, got \(value)")
    }

    public func requireNonNegative<N: Numeric & Comparable & CustomStringConvertible>(_ value: N) throws(ConfigError) {
        try require(value >= 0, "must be zero or more, got \(value)")
    }

    /// `value` a positive multiple of the value at `divisorPath`.
    public func requireMultiple(_ value: Int, of divisor: Int, at divisorPath: ConfigPath) throws(ConfigError) {
        try require(divisor > 0 && value > 0 && value % divisor == 0, "must be a positive multiple of \(divisorPath) (\(divisor)), got \(value)")
    }

    /// `value` in [0, 1) (`openAbove`), (0, 1) (`openBelow` too), or [0, 1].
    public func requireFraction(_ value: Double, openBelow: Bool = false, openAbove: Bool = false) throws(ConfigError) {
        let ok = (openBelow ? value > 0 : value >= 0) && (openAbove ? value < 1 : value <= 1)
        try require(ok, "must be in \(openBelow ? "(" : "[")0, 1\(openAbove ? ")" : "]"), got \(value)")
    }
}

/// Whether `inner` is `outer` or a key below it (`optim.lr`, `optim.betas[0]` are within `optim`).
func isKeyPath(_ inner: String, within outer: String) -> Bool {
    guard inner.hasPrefix(outer) else { return false }
    let rest = inner.dropFirst(outer.count)
    return outer.isEmpty || rest.isEmpty || rest.first == "." || rest.first == "["
}

// MARK: - Leaf values

/// A value written as one YAML scalar.
public protocol ConfigScalar: ConfigValue, DefaultConstructible {
    /// What the error says was expected: "a number", "an integer".
    static var configExpectation: String { get }
    init?(configScalar: String)
    var configTag: Tag.Name { get }
    var configText: String { get }
}

extension ConfigScalar {
    public mutating func assign(_ node: Node, at path: ConfigPath) throws(ConfigError) {
        guard !node.isNull, let text = node.scalar?.string, let value = Self(configScalar: text) else {
            throw path.mismatch(expected: Self.configExpectation, got: node)
        }
        self = value
    }

    public var configNode: Node { .scalar(.init(configText, Tag(configTag))) }
}

extension Int: ConfigValue, ConfigScalar {
    public static var configExpectation: String { "an integer" }
    public init?(configScalar scalar: String) { self.init(scalar.filter { $0 != "_" }) }
    public var configTag: Tag.Name { .int }
    public var configText: String { String(self) }
}

extension Double: ConfigValue, ConfigScalar {
    public static var configExpectation: String { "a number" }
    public init?(configScalar scalar: String) {
        guard let value = Double(scalar.filter { $0 != "_" }), value.isFinite else { return nil }
        self = value
    }
    public var configTag: Tag.Name { .float }
    /// Swift's shortest round-tripping form, with a `.0` before a bare exponent so that YAML 1.1
    /// readers (PyYAML) also see a float: `1e-08` → `1.0e-08`.
    public var configText: String {
        let text = description
        guard !text.contains("."), let e = text.firstIndex(of: "e") else { return text }
        return String(text[..<e]) + ".0" + String(text[e...])
    }
}

extension Bool: ConfigValue, ConfigScalar {
    public static var configExpectation: String { "true or false" }
    public init?(configScalar scalar: String) {
        switch scalar.lowercased() {
        case "true", "yes", "on": self = true
        case "false", "no", "off": self = false
        default: return nil
        }
    }
    public var configTag: Tag.Name { .bool }
    public var configText: String { self ? "true" : "false" }
}

extension String: ConfigValue, ConfigScalar {
    public static var configExpectation: String { "a string" }
    public init?(configScalar scalar: String) { self = scalar }
    public var configTag: Tag.Name { .str }
    public var configText: String { self }
}

/// A string key with a fixed set of values (`schedule.kind: cosine`), written as its raw value.
public protocol ConfigChoice: ConfigValue, RawRepresentable<String>, CaseIterable {}

extension ConfigChoice {
    public mutating func assign(_ node: Node, at path: ConfigPath) throws(ConfigError) {
        let names = Self.allCases.map(\.rawValue)
        guard !node.isNull, let text = node.scalar?.string else {
            throw path.mismatch(expected: "one of \(names.joined(separator: ", "))", got: node)
        }
        guard let value = Self(rawValue: text) else {
            throw path.invalid(choiceReason(names: names, got: text))
        }
        self = value
    }

    public var configNode: Node { .scalar(.init(rawValue, Tag(.str))) }
}

/// "must be one of a, b; got 'x'", with the nearest name when one is close.
func choiceReason(names: [String], got text: String) -> String {
    let hint = nearestKey(to: text, among: names).map { " (did you mean \($0)?)" } ?? ""
    return "must be one of \(names.joined(separator: ", ")), got '\(text)'\(hint)"
}

/// `null` (or nothing) is nil; anything else is read as the wrapped value.
extension Optional: ConfigValue where Wrapped: ConfigValue & DefaultConstructible {
    public mutating func assign(_ node: Node, at path: ConfigPath) throws(ConfigError) {
        if node.isNull { self = nil; return }
        var value = self ?? Wrapped()
        try value.assign(node, at: path)
        self = value
    }

    public var configNode: Node { self?.configNode ?? .scalar(.init("null", Tag(.null))) }

    public func validateTree(at path: ConfigPath) throws(ConfigError) {
        try self?.validateTree(at: path)
    }
}

/// A value with a starting point to read into (for optionals: `String()`, `0.0`, a section's defaults).
public protocol DefaultConstructible { init() }
extension Int: DefaultConstructible {}
extension Double: DefaultConstructible {}
extension Bool: DefaultConstructible {}
extension String: DefaultConstructible {}

/// A YAML sequence, written in flow style: `betas: [0.9, 0.95]`.
extension Array: ConfigValue where Element: ConfigValue & DefaultConstructible {
    public mutating func assign(_ node: Node, at path: ConfigPath) throws(ConfigError) {
        guard case .sequence(let sequence) = node else { throw path.mismatch(expected: "a list", got: node) }
        var values: [Element] = []
        for (index, item) in sequence.enumerated() {
            var value = Element()
            try value.assign(item, at: path[index])
            values.append(value)
        }
        self = values
    }

    public var configNode: Node { .sequence(.init(map(\.configNode), Tag(.seq), .flow)) }

    public func validateTree(at path: ConfigPath) throws(ConfigError) {
        for (index, value) in enumerated() { try value.validateTree(at: path[index]) }
    }
}

// MARK: - Nodes

extension Node {
    /// A plain `null`, `~` or nothing; a quoted "null" is a string.
    var isNull: Bool {
        guard case .scalar(let scalar) = self else { return false }
        if scalar.tagName == .null { return true }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What an error says it got: `'fast'`, `nothing`, `a list`, `a mapping`.
    var shortDescription: String {
        switch self {
        case .scalar(let scalar): return isNull ? "nothing" : "'\(scalar.string)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// Reads any Codable tree (JSON, property lists) into a node; numbers keep their text.
    init(decoding decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            self = .mapping(Node.Mapping(try keyed.allKeys.map { key in
                (Node(key.stringValue), try Node(decoding: keyed.superDecoder(forKey: key)))
            }))
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [Node] = []
            while !unkeyed.isAtEnd { items.append(try Node(decoding: unkeyed.superDecoder())) }
            self = .sequence(Node.Sequence(items))
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .scalar(.init("null", Tag(.null)))
        } else if let value = try? single.decode(Bool.self) {
            self = value.configNode
        } else if let value = try? single.decode(Int.self) {
            self = value.configNode
        } else if let value = try? single.decode(Double.self) {
            self = value.configNode
        } else {
            self = .scalar(.init(try single.decode(String.self), Tag(.str), .doubleQuoted))
        }
    }

    /// Writes a node built by `configNode` (scalars carry their resolved tags) to any encoder.
    func encode(to encoder: any Encoder) throws {
        switch self {
        case .mapping(let mapping):
            var container = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in mapping {
                try value.encode(to: container.superEncoder(forKey: AnyKey(key.scalar?.string ?? "")))
            }
        case .sequence(let sequence):
            var container = encoder.unkeyedContainer()
            for value in sequence { try value.encode(to: container.superEncoder()) }
        case .scalar(let scalar):
            var container = encoder.singleValueContainer()
            switch scalar.tagName {
            case .null: try container.encodeNil()
            case .bool: try container.encode(Bool(configScalar: scalar.string) ?? false)
            case .int: try container.encode(Int(configScalar: scalar.string) ?? 0)
            case .float: try container.encode(Double(configScalar: scalar.string) ?? 0)
            default: try container.encode(scalar.string)
            }
        }
    }
}

extension Node.Scalar {
    /// The tag as given (`.implicit` for text read from a file, resolved for nodes built here).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
