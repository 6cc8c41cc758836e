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

    @OptionGroup var runOptions: RunOptions

    @Option(name: .customLong("init"), help: ArgumentHelp("The pretrained checkpoint whose towers start the run (sets task.init).",
                                                          valueName: "checkpoint"))
    var initFrom: String?

    func run() throws {
        do {
            try FineTuning.run(runOptions.pretrainOptions(adding: initFrom.map { ["task.init=\($0)"] } ?? []))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
