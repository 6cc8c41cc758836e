// Where the media tests find reference fixtures ($DUET_FIXTURES or Tests/Fixtures) and write
// their scratch media (a fresh temporary folder per test).
import Foundation

enum MediaFixtures {
    static var folder: URL {
        if let override = ProcessInfo.processInfo.environment["DUET_FIXTURES"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // DuetMediaTests
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Fixtures", isDirectory: true)
    }
}

/// A temporary folder removed when the value goes away.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("duet-media-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}
