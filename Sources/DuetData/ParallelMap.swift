// A small parallel map for the manifest tools (index, check, stats): items handed out one at a
// time to a few threads, results kept in item order.
import Dispatch
import Foundation

/// The next item to hand out, shared by the threads of one map.
private final class ItemCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return next - 1
    }
}

/// Hands a value that is only ever touched at disjoint indices to other threads.
private struct Disjoint<Value>: @unchecked Sendable {
    let value: Value
}

/// `body(i)` for every i in 0..<count on up to `threads` threads (each `makeState()` once, for
/// per-thread buffers such as a filterbank extractor), in item order.
func parallelMap<State, T>(_ count: Int, threads: Int, makeState: () -> State, _ body: (inout State, Int) -> T) -> [T] {
    var results = [T?](repeating: nil, count: count)
    let counter = ItemCounter()
    results.withUnsafeMutableBufferPointer { buffer in
        withoutActuallyEscaping(makeState) { makeState in
            withoutActuallyEscaping(body) { body in
                let shared = Disjoint(value: (buffer, makeState, body))
                DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                    let (out, makeState, body) = shared.value
                    var state = makeState()
                    while true {
                        let i = counter.take()
                        if i >= count { return }
                        out[i] = body(&state, i)
                    }
                }
            }
        }
    }
    return results.map { $0! }
}
