// A small parallel map for the manifest tools (index, check, stats): items handed out one at a
// time to a few threads, results kept in item order.
import Dispatch
import Foundation

/// One map's shared state: the next item, the functions, and a result slot per item (each
/// written by one thread only).
private final class MapJob<State, T>: @unchecked Sendable {
    let count: Int
    let makeState: () -> State
    let body: (inout State, Int) -> T
    let results: UnsafeMutablePointer<T?>
    private let lock = NSLock()
    private var next = 0

    init(count: Int, makeState: @escaping () -> State, body: @escaping (inout State, Int) -> T) {
        self.count = count
        self.makeState = makeState
        self.body = body
        results = .allocate(capacity: count)
        results.initialize(repeating: nil, count: count)
    }

    deinit {
        results.deinitialize(count: count)
        results.deallocate()
    }

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return next - 1
    }

    func run() {
        var state = makeState()
        while true {
            let i = take()
            if i >= count { return }
            results[i] = body(&state, i)
        }
    }
}

/// `body(i)` for every i in 0..<count on up to `threads` threads (each calling `makeState()`
/// once, for per-thread buffers such as a filterbank extractor), in item order.
func parallelMap<State, T>(_ count: Int, threads: Int, makeState: @escaping () -> State,
                           _ body: @escaping (inout State, Int) -> T) -> [T] {
    let job = MapJob(count: count, makeState: makeState, body: body)
    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in job.run() }
    return (0..<count).map { job.results[$0]! }
}
