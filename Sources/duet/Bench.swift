// `duet bench`: kernel timings against the same run's sgemm rate.
import ArgumentParser
import DuetTensor
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time Duet's kernels against the same run's sgemm rate.",
        discussion: "Run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` so OpenBLAS picks its own kernels.")

    @Flag(help: "Time the compute kernels (sgemm, linear, attention, layer norm, GELU). The default for now.")
    var kernels = false

    @Option(help: "Timed runs per kernel (after 3 warm-up runs); at least 10.")
    var repeats = 10

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard repeats >= 10 else { throw ValidationError("--repeats must be at least 10 (got \(repeats))") }
    }

    func run() throws {
        print("OpenBLAS kernels: \(BLASThreads.coreName), BLAS threads: \(BLASThreads.count), kernel threads: \(kernelThreadCount)")
        let results = KernelBenchmarks.run(repeats: repeats)
        let sgemmRate = results.first { $0.name.hasPrefix("sgemm") }?.gflops ?? .nan
        print(pad("kernel", 36) + pad("median ms", 12) + pad("GFLOP/s", 10) + pad("of sgemm", 10) + "vs sgemm-only time")
        for r in results {
            let overhead = r.overSgemm.map { String(format: "%.2f×", $0) } ?? "-"
            print(pad(r.name, 36) + pad(String(format: "%.2f", r.milliseconds), 12) + pad(String(format: "%.1f", r.gflops), 10)
                  + pad(String(format: "%.0f%%", 100 * r.gflops / sgemmRate), 10) + overhead)
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(results).write(to: URL(fileURLWithPath: json))
            } catch {
                throw ValidationError("could not write --json \(json): \(error.localizedDescription)")
            }
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
