// The caching allocator: 64-byte-aligned Float buffers recycled by size bucket, so that a training
// step reuses the memory of the step before and asks the system for nothing after the first.
import Foundation

/// A size-bucketed cache of aligned Float buffers, safe to share between threads.
///
/// Buckets are powers of two (from 16 floats up), so a buffer freed by one step fits the same
/// request of the next step exactly. The counters let tests assert that a warm step allocates
/// nothing from the system.
public final class TensorAllocator: @unchecked Sendable {
    /// The allocator every tensor uses unless a task installs another with `withAllocator`.
    public static let shared = TensorAllocator()

    @TaskLocal public static var current: TensorAllocator = .shared

    public struct Counters: Sendable, Equatable {
        /// Buffers obtained from the system (posix_memalign).
        public var systemAllocations = 0
        /// Bytes obtained from the system over the allocator's life.
        public var systemBytes = 0
        /// Requests served from the cache.
        public var cacheHits = 0
        /// Bytes currently handed out to live tensors.
        public var liveBytes = 0
        /// The largest `liveBytes` seen.
        public var peakLiveBytes = 0
    }

    private var freeLists: [Int: [UnsafeMutableRawPointer]] = [:]
    private var counters = Counters()
    private let lock = NSLock()

    public init() {}

    deinit {
        for (_, list) in freeLists { for p in list { free(p) } }
    }

    /// The bucket capacity (in floats) that serves a request of `count` floats.
    @inlinable
    public static func bucket(for count: Int) -> Int {
        let n = max(count, 16)
        return n.nonzeroBitCount == 1 ? n : 1 << (Int.bitWidth - n.leadingZeroBitCount)
    }

    /// A buffer of at least `count` floats, uninitialised.
    func allocate(count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) {
        let capacity = Self.bucket(for: count)
        let bytes = capacity * MemoryLayout<Float>.stride
        lock.lock()
        if var list = freeLists[capacity], let p = list.popLast() {
            freeLists[capacity] = list
            counters.cacheHits += 1
            counters.liveBytes += bytes
            counters.peakLiveBytes = max(counters.peakLiveBytes, counters.liveBytes)
            lock.unlock()
            return (p.assumingMemoryBound(to: Float.self), capacity)
        }
        counters.systemAllocations += 1
        counters.systemBytes += bytes
        counters.liveBytes += bytes
        counters.peakLiveBytes = max(counters.peakLiveBytes, counters.liveBytes)
        lock.unlock()
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory: could not allocate \(bytes) bytes")
        }
        return (raw.bindMemory(to: Float.self, capacity: capacity), capacity)
    }

    func release(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        lock.lock()
        freeLists[capacity, default: []].append(UnsafeMutableRawPointer(pointer))
        counters.liveBytes -= capacity * MemoryLayout<Float>.stride
        lock.unlock()
    }

    /// A snapshot of the counters.
    public var stats: Counters {
        lock.lock(); defer { lock.unlock() }
        return counters
    }

    /// Returns every cached buffer to the system.
    public func emptyCache() {
        lock.lock(); defer { lock.unlock() }
        for (_, list) in freeLists { for p in list { free(p) } }
        freeLists.removeAll()
    }
}

/// Runs `body` with every tensor allocated from `allocator` (for tests and for isolated jobs).
public func withAllocator<R>(_ allocator: TensorAllocator, _ body: () throws -> R) rethrows -> R {
    try TensorAllocator.$current.withValue(allocator, operation: body)
}
