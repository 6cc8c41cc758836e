// `duet bench`: kernel timings against the same run's sgemm rate.
import ArgumentParser
import DuetTensor
import DuetNN
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time Duet's kernels against the same run's sgemm rate.",
        discussion: "Run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` so OpenBLAS picks its own kernels.")

    @Flag(help: "Time the compute kernels (sgemm, linear, attention, layer norm, GELU). The default for now.")
    var kernels = false

    @Flag(help: "Time AdamW, SGD, clipping and the EMA update over a 5M-parameter store against a memory pass of the same bytes.")
    var optimizer = false

    @Flag(help: "Time the media workloads W4 (filterbank) and W5 (clip decode).")
    var media = false

    @Option(help: "Run only these workloads, comma-separated (W1, W2, W3, W4, W5, W6).")
    var only: String?

    @Option(help: "Time one step of this training workload (W1, W2 or W3) per op family: GEMM, attention, layer norm, GELU, elementwise, optimizer, allocator.")
    var profile: String?

    @Option(help: "W6 reads this manifest instead of a generated stand-in corpus.")
    var w6Manifest: String?

    @Option(help: "Time one raven step of this config by part (teachers, students, predictors, optimizer, EMA).")
    var ravenProfile: String?

    @Option(help: "Timed runs per kernel (after 3 warm-up runs); at least 10.")
    var repeats = 10

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard repeats >= 10 else { throw ValidationError("--repeats must be at least 10 (got \(repeats))") }
        if let profile, !["W1", "W2", "W3"].contains(profile.uppercased()) {
            throw ValidationError("--profile knows W1, W2 and W3 (got \(profile))")
        }
        let unknown = onlyWorkloads.subtracting(["W1", "W2", "W3", "W4", "W5", "W6"])
        guard unknown.isEmpty else { throw ValidationError("--only knows W1 to W6 (got \(unknown.sorted().joined(separator: ", ")))") }
    }

    private var onlyWorkloads: Set<String> {
        Set((only ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty })
    }

    func run() throws {
        print(TrainingBench.machineLine)
        // Each flag adds its part to the report (and to --json); with none, the kernel benchmark runs.
        var report = BenchReport(openblasCore: BLASThreads.coreName, blasThreads: 1, kernelThreads: kernelThreadCount)
        if let ravenProfile {
            report.raven = try RAVEnBench.run(configFile: ravenProfile, steps: repeats)
        }
        if optimizer {
            report.optimizer = printOptimizerTimings()
        }
        let training = onlyWorkloads.intersection(["W1", "W2", "W3"]).sorted()
        if !training.isEmpty {
            let sgemm = KernelBenchmarks.run(only: ["sgemm"], repeats: repeats).first?.gflops ?? .nan
            report.sgemmGflops = sgemm
            report.training = try TrainingBench.run(training, repeats: repeats, sgemmRate: sgemm)
        }
        if let profile {
            report.profile = try TrainingBench.profile(profile.uppercased(), repeats: repeats)
        }
        let workloads = media ? ["W4", "W5"] : onlyWorkloads.intersection(["W4", "W5", "W6"]).sorted()
        if !workloads.isEmpty {
            let mediaWorkloads = workloads.filter { $0 != "W6" }
            var timings = mediaWorkloads.isEmpty ? [] : try MediaBench.run(mediaWorkloads, repeats: repeats)
            if workloads.contains("W6") { timings += try LoaderBench.run(repeats: repeats, manifest: w6Manifest) }
            report.media = timings
        }
        if kernels || report.isEmpty { report.kernels = try runKernels() }
        if let json { try writeJSON(report, to: json) }
    }

    private func runKernels() throws -> [KernelTiming] {
        let results = KernelBenchmarks.run(repeats: repeats)
        let sgemmRate = results.first { $0.name.hasPrefix("sgemm") }?.gflops ?? .nan
        print(pad("kernel", 36) + pad("median ms", 12) + pad("GFLOP/s", 10) + pad("of sgemm", 10) + "vs sgemm-only time")
        for r in results {
            let overhead = r.overSgemm.map { String(format: "%.2f×", $0) } ?? "-"
            print(pad(r.name, 36) + pad(String(format: "%.2f", r.milliseconds), 12) + pad(String(format: "%.1f", r.gflops), 10)
                  + pad(String(format: "%.0f%%", 100 * r.gflops / sgemmRate), 10) + overhead)
        }
        return results
    }

    private func printOptimizerTimings() -> [OptimizerTiming] {
        let (parameters, timings) = OptimizerBenchmarks.run(repeats: repeats)
        print("Optimizer updates over \(parameters) trainable parameters, kernel threads: \(kernelThreadCount)")
        print(pad("update", 28) + pad("median ms", 12) + pad("GB/s", 8) + pad("memory pass ms", 16) + "vs memory pass")
        for t in timings {
            print(pad(t.name, 28) + pad(String(format: "%.3f", t.milliseconds), 12) + pad(String(format: "%.1f", t.gigabytesPerSecond), 8)
                  + pad(String(format: "%.3f", t.memoryPassMilliseconds), 16) + String(format: "%.2f×", t.overMemoryPass))
        }
        return timings
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

/// Everything one `duet bench` run measured, as `--json` writes it.
struct BenchReport: Encodable {
    let openblasCore: String
    /// OpenBLAS threads per product call: 1, each kernel thread running its own share.
    let blasThreads: Int
    let kernelThreads: Int
    var sgemmGflops: Double?
    var kernels: [KernelTiming]?
    var training: [TrainingTiming]?
    var profile: TrainingProfile?
    var optimizer: [OptimizerTiming]?
    var media: [MediaTiming]?
    var raven: [RAVEnPartTiming]?

    init(openblasCore: String, blasThreads: Int, kernelThreads: Int) {
        (self.openblasCore, self.blasThreads, self.kernelThreads) = (openblasCore, blasThreads, kernelThreads)
    }

    var isEmpty: Bool { kernels == nil && training == nil && profile == nil && optimizer == nil && media == nil && raven == nil }
}
