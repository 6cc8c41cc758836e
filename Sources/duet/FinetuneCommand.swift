// `duet finetune`: parses the options and hands them to DuetTrain's `FineTuning.run`.
import ArgumentParser
import DuetTrain
import Foundation

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune pretrained towers on a labelled task (word classification, CTC sentences) from a YAML recipe.",
        discussion: """
            The recipe's task section says what is learnt (configs/lipread-word-tiny.yaml, lipread-sentence-tiny.yaml, \
            kws-audio-tiny.yaml). --init starts the towers from a pretraining checkpoint (a checkpoint folder, a run \
            folder, or RUN/checkpoints/latest); without it they train from scratch. The run folder is written as \
            duet pretrain writes it; at the end the last checkpoint is evaluated on the valid and test splits \
            (RUN/evaluation/step-N/).
            """)

    @Option(help: "A YAML recipe with a task section (optional with --resume PATH).")
    var config: String?

    @Option(name: .customLong("init"), help: ArgumentHelp("The pretrained checkpoint whose towers start the run (sets task.init).",
                                                          valueName: "checkpoint"))
    var initFrom: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one key (repeatable), such as data.label_fraction=0.1.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Continue from 'latest', a checkpoint folder or a run folder.", valueName: "latest|path"))
    var resume: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("The run folder (default runs/<name>).", valueName: "dir"))
    var runDirectory: String?

    @Option(help: ArgumentHelp("Stop after step N and write a checkpoint there.", valueName: "n"))
    var steps: Int?

    func run() throws {
        var sets = overrides
        if let initFrom { sets.append("task.init=\(initFrom)") }
        do {
            try FineTuning.run(PretrainOptions(configFile: config, overrides: sets, resume: resume, runDirectory: runDirectory,
                                               stopAfter: steps))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
