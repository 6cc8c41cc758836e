// `duet evaluate`: scores a fine-tuned checkpoint on a split (DuetTrain's `TaskEvaluation`).
import ArgumentParser
import DuetTrain
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a fine-tuned checkpoint on a split: word accuracy and confusions, or corpus WER / CER.",
        discussion: """
            Reads the checkpoint's own config (its task and data). Writes predictions-SPLIT.tsv (id, reference, \
            hypothesis), metrics-SPLIT.json and, for word tasks, confusion-SPLIT.tsv into --out (default \
            RUN/evaluation/step-N/). CTC tasks report greedy and beam-search decoding (task.beam_size, or --beam).
            """)

    @Option(help: ArgumentHelp("A checkpoint folder, a run folder (its latest checkpoint) or RUN/checkpoints/latest.",
                               valueName: "path"))
    var checkpoint: String

    @Option(help: ArgumentHelp("train, valid or test.", valueName: "split"))
    var split: String = "test"

    @Option(help: ArgumentHelp("Beam width of CTC decoding (1: greedy only).", valueName: "n"))
    var beam: Int?

    @Option(help: ArgumentHelp("The folder for the predictions and metrics.", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override a key of the checkpoint's config (such as data.test_manifest=…).", valueName: "key=value"))
    var overrides: [String] = []

    func run() throws {
        do {
            guard let split = TaskSplit(rawValue: split) else {
                throw TrainError.usage("--split must be train, valid or test, got '\(split)'")
            }
            if let beam, beam < 1 { throw TrainError.usage("--beam must be positive, got \(beam)") }
            let found: Checkpoint
            do { found = try TowerLookup.checkpoint(checkpoint) } catch { throw TrainError.checkpoint(error) }
            let report = try TaskEvaluation.run(checkpoint: found, split: split, output: out.map { URL(fileURLWithPath: $0) },
                                                beamSize: beam, overrides: overrides)
            print("\(split.rawValue): \(report.summary)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
