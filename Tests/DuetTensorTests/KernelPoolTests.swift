// The kernel threads: every chunk runs once, chunk i on the same thread call after call, and a
// pool that is busy (nested kernels, other threads' kernels) still runs every chunk.
import Foundation
import Testing
@testable import DuetTensor

@Suite struct KernelPoolTests {
    /// The kernel thread's identity as a number (pthread_self), for comparing threads across calls.
    private func threadID() -> UInt { UInt(pthread_self()) }

    @Test func chunkRunsOnTheSameThreadEveryCall() {
        let pool = KernelPool(workers: 2)
        var first: [UInt] = []
        for call in 0..<200 {
            let ids = UnsafeMutablePointer<UInt>.allocate(capacity: 3)
            defer { ids.deallocate() }
            let shared = UncheckedSendable(ids)
            pool.run(chunks: 3) { chunk in shared.value[chunk] = threadID() }
            let now = Array(UnsafeBufferPointer(start: ids, count: 3))
            if call == 0 {
                first = now
                #expect(Set(now).count == 3)
                #expect(now[0] == threadID())
            } else {
                #expect(now == first)
            }
            if call % 50 == 49 { Thread.sleep(forTimeInterval: 0.002) }  // let the workers fall asleep
        }
    }

    /// Jobs posted while the worker is polling, falling asleep or asleep (gaps around its 200 µs
    /// of polling): a lost wake-up would hang here, so the test has a time limit.
    @Test(.timeLimit(.minutes(1))) func jobsArriveWhileTheWorkerFallsAsleep() {
        let pool = KernelPool(workers: 1)
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 2)
        let shared = UncheckedSendable(sums)
        for call in 0..<400 {
            pool.run(chunks: 2) { chunk in shared.value[chunk] += 1 }
            let gap = [0.0, 150e-6, 190e-6, 200e-6, 210e-6, 250e-6, 1e-3][call % 7]
            if gap > 0 { Thread.sleep(forTimeInterval: gap) }
        }
        #expect(sums[0] == 400 && sums[1] == 400)
    }

    @Test func busyPoolRunsNestedAndConcurrentCallsItself() {
        let pool = KernelPool(workers: 1)
        let total = 64
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: total)
        counts.initialize(repeating: 0, count: total)
        defer { counts.deallocate() }
        let shared = UncheckedSendable(counts)
        // Four threads at once, each outer chunk running an inner job: chunk (t, outer, inner) once each.
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            pool.run(chunks: 2) { outer in
                pool.run(chunks: 2) { inner in
                    for r in 0..<4 { shared.value[t * 16 + outer * 8 + inner * 4 + r] += 1 }
                }
            }
        }
        #expect(Array(UnsafeBufferPointer(start: counts, count: total)) == Array(repeating: 1, count: total))
    }

    @Test func parallelChunksCoverTheRangeOnce() {
        for count in [0, 1, 2, 3, 17, 1000] {
            let seen = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            seen.initialize(repeating: 0, count: max(count, 1))
            defer { seen.deallocate() }
            let shared = UncheckedSendable(seen)
            parallelChunks(count) { _, range in for i in range { shared.value[i] += 1 } }
            #expect(Array(UnsafeBufferPointer(start: seen, count: count)) == Array(repeating: 1, count: count))
        }
    }
}
