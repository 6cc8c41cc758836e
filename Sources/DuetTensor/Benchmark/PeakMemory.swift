// Peak resident memory of this process for benchmarks: Linux's VmHWM, which writing "5" to
// /proc/self/clear_refs resets to the current resident size, so each workload gets its own peak.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum PeakMemory {
    /// Restarts the peak at the current resident size (after returning cached tensor buffers to
    /// the system, so one workload's cache does not count towards the next). False where the
    /// kernel does not allow it (not Linux, or /proc read-only).
    @discardableResult
    public static func reset(_ allocator: TensorAllocator = .shared) -> Bool {
        allocator.emptyCache()
        // free() keeps large freed blocks in glibc's heap; malloc_trim hands them back so they
        // leave the resident size (looked up at run time: Swift's Glibc module does not export it).
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// The peak resident size since the last reset, in MiB (nil where /proc is unavailable).
    public static var peakMegabytes: Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }
}
