// Shared by every test target (module DuetTestSupport).
// Fixture: the PyTorch reference data parity tests read (Tests/Fixtures, or the folder named by
// $DUET_FIXTURES), and expectClose, the relative measure the fixtures README defines.
import Foundation
import Testing
import DuetTensor

/// One reference file, `<name>.safetensors`, with keys named `in.*`, `param.*`, `out.*`,
/// `upstream.*`, `grad.*`, `grad.param.*`, `buffer.*`. Shapes vary with the seed and scale the
/// file was made with, so tests read every shape from the file.
public struct Fixture: Sendable {
    public let name: String
    public let metadata: [String: String]
    private let file: SafeTensorsFile

    /// The underlying file, to load a whole parameter store from it.
    public var safeTensorsFile: SafeTensorsFile { file }

    /// $DUET_FIXTURES when set, so the same tests can check other seeds and scales; otherwise
    /// Tests/Fixtures beside this source tree.
    public static var folder: URL {
        if let override = ProcessInfo.processInfo.environment["DUET_FIXTURES"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Fixtures", isDirectory: true)
    }

    /// Reads and validates `<name>.safetensors` from `folder`.
    public static func load(_ name: String) throws -> Fixture {
        let fileName = name.hasSuffix(".safetensors") ? name : name + ".safetensors"
        let file = try SafeTensorsFile.read(contentsOf: folder.appendingPathComponent(fileName))
        return Fixture(name: name, metadata: file.metadata, file: file)
    }

    public func has(_ key: String) -> Bool { file.contains(key) }

    /// The entry `key` as a Float32 tensor, a leaf marked trainable when `requiresGrad`.
    public func tensor(_ key: String, requiresGrad: Bool = false) throws -> Tensor {
        try file.tensor(key).requiringGrad(requiresGrad)
    }

    public func int64s(_ key: String) throws -> [Int64] { try file.entry(key).int64s() }

    /// Integer entries (labels, lengths, masks) as Int32; a value outside Int32 throws.
    public func int32s(_ key: String) throws -> [Int32] { try file.entry(key).int32s() }

    public func shape(_ key: String) throws -> [Int] { try file.entry(key).shape }

    /// The keys that start with `prefix`, sorted.
    public func keys(prefix: String) -> [String] { file.names.filter { $0.hasPrefix(prefix) } }

    /// A metadata value read as a number ("1e-05", "0.25"); nil when absent or not a number.
    public func metadataFloat(_ key: String) -> Float? {
        metadata[key].flatMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// max|a-b| / max|b| (fixtures README's relative measure); records an Issue when above tolerance, with the label and the numbers.
/// Shapes must hold the same elements and agree but for size-1 axes; a NaN or an infinity that
/// the expected value does not share always fails. An all-zero `expected` is compared absolutely.
public func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Double, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count, actual.shape.filter({ $0 != 1 }) == expected.shape.filter({ $0 != 1 }) else {
        Issue.record("\(label): shape \(actual.shape) does not match the expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    var worst = 0.0, worstIndex = 0, scale = 0.0, nonFinite = 0, firstNonFinite = 0
    for i in 0..<expected.count {
        let a = Double(actual.pointer[i]), b = Double(expected.pointer[i])
        if b.isFinite { scale = max(scale, abs(b)) }
        if a == b { continue }
        guard a.isFinite, b.isFinite else {
            if nonFinite == 0 { firstNonFinite = i }
            nonFinite += 1
            continue
        }
        if abs(a - b) > worst { worst = abs(a - b); worstIndex = i }
    }
    let relative = worst / (scale > 0 ? scale : 1)
    // DUET_PARITY_REPORT=1 prints every comparison, for the numbers quoted in notes.
    if ProcessInfo.processInfo.environment["DUET_PARITY_REPORT"] == "1" {
        print("parity \(label): max|a-b|/max|b| = \(relative)")
    }
    if nonFinite > 0 {
        let message = "\(label): \(nonFinite) values are not finite where expected differs, first at \(firstNonFinite): "
            + "actual \(actual.pointer[firstNonFinite]), expected \(expected.pointer[firstNonFinite])"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    } else if !(relative <= tolerance) {
        let message = "\(label): max|a-b| / max|b| = \(relative) above tolerance \(tolerance) "
            + "(max|a-b| = \(worst) at \(worstIndex): actual \(actual.pointer[worstIndex]), "
            + "expected \(expected.pointer[worstIndex]); max|b| = \(scale); shape \(expected.shape))"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}
