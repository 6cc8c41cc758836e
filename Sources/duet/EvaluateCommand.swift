// `duet evaluate`: scores a trained encoder. `--probe RUN` runs the linear probes and audio↔video
// retrieval of pretraining on a checkpoint (or on its random initialisation); `--checkpoint X
// --split test` scores a fine-tuned checkpoint on a split (DuetTrain's `TaskEvaluation`).
import ArgumentParser
import DuetTrain
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint: a fine-tuned one on a split (--checkpoint X --split test), or the linear probes and audio-video retrieval of a pretrained encoder (--probe RUN).",
        discussion: """
            --checkpoint reads the fine-tuned checkpoint's own config (its task and data) and writes \
            predictions-SPLIT.tsv (id, reference, hypothesis), metrics-SPLIT.json and, for word tasks, \
            confusion-SPLIT.tsv into --out (default RUN/evaluation/step-N/); CTC tasks report corpus WER and CER \
            of greedy and beam-search decoding (task.beam_size, or --beam).
            --probe takes a run folder (its latest checkpoint) or a checkpoint folder, rebuilds the objective from \
            the checkpoint's config and prints word accuracy per encoded modality and, for audio-visual objectives, \
            retrieval recall@1/@5 on the probe's test split (probe.* keys; default the synthetic corpus's words splits).
            """)

    @Option(help: ArgumentHelp("A fine-tuned checkpoint folder, a run folder (its latest checkpoint) or RUN/checkpoints/latest.",
                               valueName: "path"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("With --checkpoint: train, valid or test.", valueName: "split"))
    var split: String = "test"

    @Option(help: ArgumentHelp("With --checkpoint: the beam width of CTC decoding (1: greedy only).", valueName: "n"))
    var beam: Int?

    @Option(help: ArgumentHelp("With --checkpoint: the folder for the predictions and metrics.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("A run folder or checkpoint folder to probe.", valueName: "run"))
    var probe: String?

    @Flag(name: .customLong("random-init"), help: "Probe the checkpoint config's encoders at their random initialisation instead.")
    var randomInit = false

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one key of the checkpoint's config (repeatable), such as probe.steps=500.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Also write the probe's values as JSON to this file.", valueName: "file"))
    var json: String?

    func run() throws {
        do {
            if let checkpoint {
                guard probe == nil else { throw TrainError.usage("give --checkpoint or --probe, not both") }
                try evaluateFineTuned(checkpoint)
                return
            }
            guard let probe else { throw TrainError.usage("give --checkpoint X (a fine-tuned checkpoint) or --probe RUN") }
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

    private func evaluateFineTuned(_ checkpoint: String) throws {
        guard let split = TaskSplit(rawValue: split) else {
            throw TrainError.usage("--split must be train, valid or test, got '\(split)'")
        }
        if let beam, beam < 1 { throw TrainError.usage("--beam must be positive, got \(beam)") }
        let found: Checkpoint
        do { found = try TowerLookup.checkpoint(checkpoint) } catch { throw TrainError.checkpoint(error) }
        let report = try TaskEvaluation.run(checkpoint: found, split: split, output: out.map { URL(fileURLWithPath: $0) },
                                            beamSize: beam, overrides: overrides)
        print("\(split.rawValue): \(report.summary)")
    }
}
