// Errors of loading and saving a parameter store: each names the file and the parameters.
import DuetTensor

public enum WeightsError: Error, CustomStringConvertible, Sendable {
    /// The file could not be read or written (its own error says why).
    case file(SafeTensorsError)
    /// A strict load found names that do not line up; every list is complete.
    case mismatch(file: String, report: WeightsLoadReport)

    public var description: String {
        switch self {
        case .file(let e): return e.description
        case let .mismatch(file, report): return "\(file): the weights do not match the model\n" + report.description
        }
    }
}

/// What a load found: names the model has that the file lacks, names the file has that the
/// model lacks, and names whose shapes differ.
public struct WeightsLoadReport: Sendable, CustomStringConvertible, Equatable {
    public var loaded: [String] = []
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var misshaped: [(name: String, model: [Int], file: [Int])] = []

    public var isExact: Bool { missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty }

    public var description: String {
        var lines = ["loaded \(loaded.count) tensors"]
        if !missing.isEmpty { lines.append("missing from the file (\(missing.count)): " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { lines.append("not in the model (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
        if !misshaped.isEmpty {
            lines.append("shapes differ (\(misshaped.count)): "
                + misshaped.map { "\($0.name) model \($0.model) file \($0.file)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    public static func == (a: WeightsLoadReport, b: WeightsLoadReport) -> Bool {
        a.loaded == b.loaded && a.missing == b.missing && a.unexpected == b.unexpected
            && a.misshaped.map(\.name) == b.misshaped.map(\.name)
    }
}
