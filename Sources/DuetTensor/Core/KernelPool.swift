// The kernel threads: chunk i of every parallel kernel runs on the same thread i (chunk 0 on the
// caller), so the rows a thread writes in one kernel are the rows it reads in the next and stay in
// its own core's caches.
//
// Why not Dispatch: concurrentPerform hands chunks to whichever thread asks first, so about half
// the time a kernel's output is read by the other core. On the 2-core Zen 4 VM a cross-core
// handoff (two threads, each writing its half of a 4 MB buffer, then reading the other half) ran at
// 13.3 GB/s for stretches and 4.6 GB/s for others, seconds at a time, while the same threads on
// private buffers never slowed; Duet's steps slowed by about 1.4× in those stretches (twelfth
// session's note, README "Performance").
import Foundation
import Synchronization

/// Persistent worker threads that run chunks 1..<n of a job while the caller runs chunk 0.
/// Workers spin briefly between jobs (kernels come microseconds apart within a step), then sleep.
/// One job at a time: a call that finds the pool busy (another thread's job, or a kernel called
/// from inside a chunk) runs its chunks itself, in order.
final class KernelPool: @unchecked Sendable {
    /// The pool the kernels share: one worker per core beyond the caller's.
    static let shared = KernelPool(workers: kernelThreadCount - 1)

    /// How long an idle worker polls for the next job before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    private final class Worker: @unchecked Sendable {
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private let workers: [Worker]
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    // Written by the caller before `generation` moves on, read by workers after they see it move.
    private var job: ((Int) -> Void)?
    private var jobChunks = 0

    init(workers count: Int) {
        workers = (0..<max(0, count)).map { _ in Worker() }
        // A pool lives as long as the process: its threads hold it and never return (the kernels
        // share one; tests make a few small ones).
        for (index, worker) in workers.enumerated() {
            let thread = Thread { self.serve(chunk: index + 1, worker) }
            thread.name = "duet-kernel-\(index + 1)"
            thread.stackSize = 8 << 20  // the size of the main thread's stack: chunks run the same code
            thread.start()
        }
    }

    /// Runs `body(0)` … `body(chunks - 1)`, chunk i on thread i, and returns when all have finished.
    func run(chunks: Int, _ body: (Int) -> Void) {
        guard chunks > 1 else {
            if chunks == 1 { body(0) }
            return
        }
        guard chunks <= workers.count + 1,
              busy.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        else {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            jobChunks = chunks
            // Every worker takes part in every job (those past `chunks` only report back), so a
            // worker sees each generation exactly once and never picks up a later job's chunk
            // under an earlier generation.
            pending.store(workers.count, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            for worker in workers where worker.asleep.exchange(false, ordering: .sequentiallyConsistent) {
                worker.wake.signal()
            }
            escaping(0)
            // Poll, then yield between polls: a worker that another process (or the data
            // loader) took the core from needs that core back to finish.
            var polls = 0
            while pending.load(ordering: .sequentiallyConsistent) > 0 {
                polls += 1
                if polls > 4096 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .sequentiallyConsistent)
    }

    private func serve(chunk: Int, _ worker: Worker) {
        var seen = 0
        while true {
            waitForJob(after: seen, worker)
            seen = generation.load(ordering: .sequentiallyConsistent)
            if chunk < jobChunks, let job { job(chunk) }
            pending.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Returns once `generation` has moved past `seen`: polling first, then asleep until woken.
    private func waitForJob(after seen: Int, _ worker: Worker) {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var polls = 0
        while generation.load(ordering: .sequentiallyConsistent) == seen {
            polls += 1
            guard polls & 255 == 0, DispatchTime.now().uptimeNanoseconds > deadline else { continue }
            // Announce the sleep, then look again: the caller moves `generation` before it checks
            // `asleep`, so one of the two sees the other and no wake-up is lost.
            worker.asleep.store(true, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) != seen,
               worker.asleep.exchange(false, ordering: .sequentiallyConsistent) {
                return
            }
            worker.wake.wait()
            return
        }
    }
}
