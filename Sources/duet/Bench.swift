// `duet bench`: kernel timings against the same run's sgemm rate.
import ArgumentParser
import DuetTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time Duet's kernels and workloads.")

    @Flag(help: "Time the compute kernels (linear, attention, layer norm, GELU, sgemm).")
    var kernels = false

    func run() throws {
        print("OpenBLAS \(BLASThreads.coreName), \(BLASThreads.count) threads")
    }
}
