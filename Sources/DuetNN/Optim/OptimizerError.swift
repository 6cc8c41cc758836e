// Errors of the optimizers, their state and the EMA teacher: each names the store, the
// hyper-parameter or the parameters at fault.

public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// The store was not finalised (its parameters are not in arenas yet).
    case storeNotFinalized(String)
    /// A hyper-parameter outside its range, as torch.optim rejects it.
    case invalidHyperParameter(name: String, value: Double, expected: String)
    /// Learning-rate scales given for names the store does not have.
    case unknownParameters([String])
    /// Two layouts that must match name for name (a teacher and its student, a saved state and an
    /// optimizer) do not: names missing from `what`, names it has in excess, and names whose
    /// shape or place differ ("name: shape [4, 2] vs [2, 4]").
    case layoutMismatch(what: String, missing: [String], unexpected: [String], mismatched: [String])

    public var description: String {
        switch self {
        case .storeNotFinalized(let what):
            return "\(what): the parameter store is not finalised; call finalize() after building the model"
        case .invalidHyperParameter(let name, let value, let expected):
            return "invalid \(name) \(value): expected \(expected)"
        case .unknownParameters(let names):
            return "learning-rate scales name parameters the store does not have: \(names.joined(separator: ", "))"
        case .layoutMismatch(let what, let missing, let unexpected, let mismatched):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.joined(separator: ", "))") }
            if !mismatched.isEmpty { parts.append("mismatched \(mismatched.joined(separator: "; "))") }
            return "\(what) does not match: " + parts.joined(separator: "; ")
        }
    }

    /// Throws `layoutMismatch` unless `actual` holds exactly the `expected` names, in the same
    /// order (the order fixes the arena offsets), with the same shapes.
    static func checkLayout(_ what: String, expected: [(name: String, shape: [Int])],
                            actual: [(name: String, shape: [Int])]) throws(OptimizerError) {
        let expectedShapes = Dictionary(expected.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let actualShapes = Dictionary(actual.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        let missing = expected.map(\.name).filter { actualShapes[$0] == nil }
        let unexpected = actual.map(\.name).filter { expectedShapes[$0] == nil }
        var mismatched: [String] = []
        for (name, shape) in expected {
            if let other = actualShapes[name], other != shape { mismatched.append("\(name): shape \(shape) vs \(other)") }
        }
        if missing.isEmpty, unexpected.isEmpty, mismatched.isEmpty {
            for (index, (e, a)) in zip(expected, actual).enumerated() where e.name != a.name {
                mismatched.append("\(e.name): position \(index) vs \(actual.firstIndex { $0.name == e.name } ?? -1)")
                break
            }
        }
        guard missing.isEmpty, unexpected.isEmpty, mismatched.isEmpty else {
            throw .layoutMismatch(what: what, missing: missing, unexpected: unexpected, mismatched: mismatched)
        }
    }

    /// Throws unless `value` lies in `range`.
    static func check(_ name: String, _ value: Float, in range: ClosedRange<Float>, expected: String) throws(OptimizerError) {
        guard range.contains(value) else { throw .invalidHyperParameter(name: name, value: Double(value), expected: expected) }
    }
}
