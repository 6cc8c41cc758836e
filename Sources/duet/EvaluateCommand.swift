// `duet evaluate`: scores a trained encoder. `--probe RUN` runs the linear probes and audio↔video
// retrieval of pretraining on a checkpoint (or on its random initialisation).
import ArgumentParser
import DuetTrain
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint: linear probes and audio-video retrieval of a pretrained encoder (--probe RUN).",
        discussion: """
            --probe takes a run folder (its latest checkpoint) or a checkpoint folder, rebuilds the objective from \
            the checkpoint's config and prints word accuracy per encoded modality and, for audio-visual objectives, \
            retrieval recall@1/@5 on the probe's test split (probe.* keys; default the synthetic corpus's words splits).
            """)

    @Option(help: ArgumentHelp("A run folder or checkpoint folder to probe.", valueName: "run"))
    var probe: String?

    @Flag(name: .customLong("random-init"), help: "Probe the checkpoint config's encoders at their random initialisation instead.")
    var randomInit = false

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one key of the checkpoint's config (repeatable), such as probe.steps=500.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Also write the values as JSON to this file.", valueName: "file"))
    var json: String?

    func run() throws {
        guard let probe else {
            FileHandle.standardError.write(Data("error: give --probe RUN\n".utf8))
            throw ExitCode.failure
        }
        do {
            let note: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            let (step, values) = try Probing.run(ProbeOptions(checkpoint: probe, overrides: overrides, randomInit: randomInit), log: note)
            print(randomInit ? "random initialisation" : "step \(step)")
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%.4f", value))
            }
            if let json {
                var object: [String: Any] = values
                object["step"] = step
                object["random_init"] = randomInit
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
                try data.write(to: URL(fileURLWithPath: json))
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
