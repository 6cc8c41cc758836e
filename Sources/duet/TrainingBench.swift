// `duet bench --only W1,W2,W3`: training-step workloads, each beside the same run's sgemm rate,
// with its peak resident memory; `--profile W1`: where one step's time goes, per op family.
import ArgumentParser
import DuetTensor
import DuetTrain
import Foundation

struct TrainingTiming: Codable {
    let name: String
    let milliseconds: Double
    let gflops: Double
    let fractionOfSgemm: Double
    /// The largest total of live tensor bytes the caching allocator handed out.
    let peakLiveMegabytes: Double
    /// The process's peak resident size (VmHWM) from building the workload to its last step.
    let peakResidentMegabytes: Double?
}

struct ProfileRow: Codable {
    let family: String
    let millisecondsPerStep: Double
    let callsPerStep: Double
    let shareOfStep: Double
}

struct TrainingProfile: Codable {
    let workload: String
    let millisecondsPerStep: Double
    let rows: [ProfileRow]
}

enum TrainingBench {
    /// The line that says which OpenBLAS kernels and how many threads ran.
    static var machineLine: String {
        "OpenBLAS kernels: \(BLASThreads.coreName)\(kernelSetOrigin), \(kernelThreadCount) kernel threads, products split over them "
            + "at one OpenBLAS thread each (the sgemm reference: OpenBLAS's own \(kernelThreadCount) threads), "
            + BLASThreadTimeout.describe(environment: ProcessInfo.processInfo.environment)
    }

    /// Names the kernel set OpenBLAS had chosen when the tool switched it (OpenBLASKernelSwitch).
    static var kernelSetOrigin: String {
        ProcessInfo.processInfo.environment[BLASKernelChoice.fallbackVariable].map { " (chosen by duet; OpenBLAS's own choice: \($0))" } ?? ""
    }

    static func run(_ names: [String], repeats: Int, sgemmRate: Double) throws -> [TrainingTiming] {
        print(String(format: "training workloads, median of %d after 3 warm-up steps; sgemm 2048³ in this run: %.1f GFLOP/s", repeats, sgemmRate))
        print("workload".padding(toLength: 40, withPad: " ", startingAt: 0) + "  ms/step    GFLOP/s  of sgemm  peak RSS MB")
        var timings: [TrainingTiming] = []
        for name in names {
            // Each workload starts from an empty cache and its own resident peak.
            let allocator = TensorAllocator.current
            PeakMemory.reset(allocator)
            guard let timing = try measure(name, repeats: repeats, sgemmRate: sgemmRate, allocator: allocator) else { continue }
            timings.append(timing)
            print(timing.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                  + String(format: "%9.2f %10.1f %8.0f%% %12.0f", timing.milliseconds, timing.gflops, 100 * timing.fractionOfSgemm,
                           timing.peakResidentMegabytes ?? .nan))
        }
        return timings
    }

    private static func measure(_ name: String, repeats: Int, sgemmRate: Double, allocator: TensorAllocator) throws -> TrainingTiming? {
        guard let workload = try TrainingWorkloads.named(name) else { return nil }
        let ms = medianMilliseconds(repeats: repeats) { workload.step() }
        let gflops = workload.flops / ms / 1e6
        return TrainingTiming(name: workload.name, milliseconds: ms, gflops: gflops, fractionOfSgemm: gflops / sgemmRate,
                              peakLiveMegabytes: Double(allocator.stats.peakLiveBytes) / 1_048_576,
                              peakResidentMegabytes: PeakMemory.peakMegabytes)
    }

    /// Time per op family over `repeats` steps after 3 warm-up steps; "other" is the rest of the
    /// step (autograd bookkeeping and ops outside the families).
    static func profile(_ name: String, repeats: Int) throws -> TrainingProfile {
        guard let workload = try TrainingWorkloads.named(name) else {
            throw ValidationError("--profile knows W1, W2 and W3 (got \(name))")
        }
        for _ in 0..<3 { workload.step() }
        let profiler = OpProfiler()
        let start = DispatchTime.now().uptimeNanoseconds
        withProfiler(profiler) {
            for _ in 0..<repeats { workload.step() }
        }
        let stepMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(repeats)
        var rows = profiler.report.map { r in
            ProfileRow(family: r.family.rawValue, millisecondsPerStep: r.seconds * 1e3 / Double(repeats),
                       callsPerStep: Double(r.calls) / Double(repeats), shareOfStep: r.seconds * 1e3 / Double(repeats) / stepMs)
        }
        let tracked = rows.reduce(0) { $0 + $1.millisecondsPerStep }
        rows.append(ProfileRow(family: "other", millisecondsPerStep: stepMs - tracked, callsPerStep: 0, shareOfStep: (stepMs - tracked) / stepMs))
        print(String(format: "%@: %.1f ms per step (mean of %d profiled steps)", workload.name, stepMs, repeats))
        print("op family".padding(toLength: 16, withPad: " ", startingAt: 0) + "  ms/step   share   calls/step")
        for r in rows {
            print(r.family.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: "%9.1f %6.1f%% %11.0f", r.millisecondsPerStep, 100 * r.shareOfStep, r.callsPerStep))
        }
        return TrainingProfile(workload: workload.name, millisecondsPerStep: stepMs, rows: rows)
    }
}
