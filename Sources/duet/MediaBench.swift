// `duet bench --media` / `--only W4,W5`: times the media workloads one thread at a time, as a
// single loader thread would run them, and reports media processed per second.
import ArgumentParser
import DuetMedia
import DuetTensor
import Foundation

/// One media workload's timing.
struct MediaTiming: Codable {
    let name: String
    let milliseconds: Double
    let unit: String
    /// Units of media per second of wall time (seconds of audio per second for W4: × real time).
    let perSecond: Double
}

enum MediaBench {
    static func run(_ names: [String], repeats: Int) throws -> [MediaTiming] {
        var timings: [MediaTiming] = []
        print("media workloads, one thread, median of \(repeats) after 3 warm-up runs")
        for name in names {
            let workload = name == "W4" ? try MediaWorkloads.fbank() : try MediaWorkloads.decodeClip(folder: NSTemporaryDirectory())
            var failure: MediaError?
            let ms = medianMilliseconds(repeats: repeats) {
                do throws(MediaError) { try workload.step() } catch { failure = error }
            }
            if let failure { throw failure }
            let timing = MediaTiming(name: workload.name, milliseconds: ms, unit: workload.unit, perSecond: workload.units / ms * 1000)
            let rate = name == "W4" ? String(format: "%.0f× real time", timing.perSecond) : String(format: "%.1f clips/s", timing.perSecond)
            print(workload.name.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%9.2f ms   ", ms) + rate)
            timings.append(timing)
        }
        return timings
    }

}

/// Writes a benchmark's results as pretty, key-sorted JSON (`--json`).
func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    } catch {
        throw ValidationError("could not write --json \(path): \(error.localizedDescription)")
    }
}
