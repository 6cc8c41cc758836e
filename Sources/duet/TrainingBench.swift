// `duet bench --only W1,W2,W3`: training-step workloads, each beside the same run's sgemm rate.
import ArgumentParser
import DuetTensor
import DuetTrain
import Foundation

struct TrainingTiming: Codable {
    let name: String
    let milliseconds: Double
    let gflops: Double
    let fractionOfSgemm: Double
    let peakLiveMegabytes: Double
}

enum TrainingBench {
    static func run(_ names: [String], repeats: Int) throws -> [TrainingTiming] {
        let sgemmRate = KernelBenchmarks.run(only: ["sgemm"], repeats: repeats).first?.gflops ?? .nan
        print(String(format: "training workloads, median of %d after 3 warm-up steps; sgemm 2048³ in this run: %.1f GFLOP/s", repeats, sgemmRate))
        var timings: [TrainingTiming] = []
        for name in names {
            guard let workload = try TrainingWorkloads.named(name) else { continue }
            let allocator = TensorAllocator.current
            let ms = medianMilliseconds(repeats: repeats) { workload.step() }
            let gflops = workload.flops / ms / 1e6
            let peak = Double(allocator.stats.peakLiveBytes) / 1_048_576
            timings.append(TrainingTiming(name: workload.name, milliseconds: ms, gflops: gflops, fractionOfSgemm: gflops / sgemmRate,
                                          peakLiveMegabytes: peak))
            print(workload.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                  + String(format: "%9.2f ms %8.1f GFLOP/s %5.0f%% of sgemm", ms, gflops, 100 * gflops / sgemmRate))
        }
        return timings
    }
}
