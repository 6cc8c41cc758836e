// `duet bench --raven-profile configs/raven-tiny.yaml`: the share of a raven step each part takes.
import DuetTrain
import Foundation

struct RAVEnPartTiming: Encodable {
    let part: String
    let milliseconds: Double
    let share: Double
}

enum RAVEnBench {
    static func run(configFile: String, steps: Int) throws -> [RAVEnPartTiming] {
        let config = try RunConfig.load(contentsOf: configFile)
        let parts = try RAVEnProfile.run(config: config, steps: steps)
        let total = parts.reduce(0) { $0 + $1.milliseconds }
        print("\(config.name): one raven step by part, median of \(steps) steps of batch \(config.train.batchSize) (in-memory batches)")
        for (part, ms) in parts {
            print(part.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%9.1f ms %6.1f%%", ms, 100 * ms / total))
        }
        print("total".padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%9.1f ms", total))
        return parts.map { RAVEnPartTiming(part: $0.part, milliseconds: $0.milliseconds, share: $0.milliseconds / total) }
    }
}
