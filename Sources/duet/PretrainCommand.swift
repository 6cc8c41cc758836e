// `duet pretrain`: parses the options and hands them to DuetTrain's `Pretraining.run`.
import ArgumentParser
import DuetTrain
import Foundation

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain an encoder (mae-audio, mae-video) from a YAML recipe, or resume a run.",
        discussion: """
            Writes RUN/config.yaml (the resolved config), RUN/metrics.jsonl, RUN/train.log, TensorBoard \
            events, and checkpoints in RUN/checkpoints/step-NNNNNN/. Until DuetData lands, runs train on \
            a synthetic stand-in (data.manifest: null).
            """)

    @OptionGroup var runOptions: RunOptions

    func run() throws {
        do {
            try Pretraining.run(runOptions.pretrainOptions())
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
