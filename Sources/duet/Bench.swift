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
        let unknown = onlyWorkloads.subtracting(["W1", "W2", "W3", "W4", "W5", "W6"])
        guard unknown.isEmpty else { throw ValidationError("--only knows W1 to W6 (got \(unknown.sorted().joined(separator: ", ")))") }
    }

    private var onlyWorkloads: Set<String> {
        Set((only ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty })
    }

    func run() throws {
        // Each flag adds its part; with none, the kernel benchmark runs.
        var ran = false
        if let ravenProfile {
            try RAVEnBench.run(configFile: ravenProfile, steps: repeats)
            ran = true
        }
        if optimizer {
            printOptimizerTimings()
            ran = true
        }
        let training = onlyWorkloads.intersection(["W1", "W2", "W3"]).sorted()
        if !training.isEmpty {
            _ = try TrainingBench.run(training, repeats: repeats)
            ran = true
        }
        let workloads = media ? ["W4", "W5"] : onlyWorkloads.intersection(["W4", "W5", "W6"]).sorted()
        if !workloads.isEmpty {
            let mediaWorkloads = workloads.filter { $0 != "W6" }
            var timings = mediaWorkloads.isEmpty ? [] : try MediaBench.run(mediaWorkloads, repeats: repeats)
            if workloads.contains("W6") { timings += try LoaderBench.run(repeats: repeats, manifest: w6Manifest) }
            if let json, !kernels { try writeJSON(timings, to: json) }
            ran = true
        }
        if kernels || !ran { try runKernels() }
    }

    private func runKernels() throws {
        print("OpenBLAS kernels: \(BLASThreads.coreName), BLAS threads: \(BLASThreads.count), kernel threads: \(kernelThreadCount)")
        let results = KernelBenchmarks.run(repeats: repeats)
        let sgemmRate = results.first { $0.name.hasPrefix("sgemm") }?.gflops ?? .nan
        print(pad("kernel", 36) + pad("median ms", 12) + pad("GFLOP/s", 10) + pad("of sgemm", 10) + "vs sgemm-only time")
        for r in results {
            let overhead = r.overSgemm.map { String(format: "%.2f×", $0) } ?? "-"
            print(pad(r.name, 36) + pad(String(format: "%.2f", r.milliseconds), 12) + pad(String(format: "%.1f", r.gflops), 10)
                  + pad(String(format: "%.0f%%", 100 * r.gflops / sgemmRate), 10) + overhead)
        }
        if let json { try writeJSON(results, to: json) }
    }

    private func printOptimizerTimings() {
        let (parameters, timings) = OptimizerBenchmarks.run(repeats: repeats)
        print("Optimizer updates over \(parameters) trainable parameters, kernel threads: \(kernelThreadCount)")
        print(pad("update", 28) + pad("median ms", 12) + pad("GB/s", 8) + pad("memory pass ms", 16) + "vs memory pass")
        for t in timings {
            print(pad(t.name, 28) + pad(String(format: "%.3f", t.milliseconds), 12) + pad(String(format: "%.1f", t.gigabytesPerSecond), 8)
                  + pad(String(format: "%.3f", t.memoryPassMilliseconds), 16) + String(format: "%.2f×", t.overMemoryPass))
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
