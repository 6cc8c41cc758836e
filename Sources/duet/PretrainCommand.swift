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

    @Option(help: "A YAML recipe, such as configs/audiomae-tiny.yaml (optional with --resume PATH).")
    var config: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one key (repeatable), such as optim.lr=3e-4.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Continue from 'latest' (the run folder's newest complete checkpoint), a checkpoint folder or a run folder.",
                               valueName: "latest|path"))
    var resume: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("The run folder (default runs/<name>).", valueName: "dir"))
    var runDirectory: String?

    @Option(help: ArgumentHelp("Stop after step N and write a checkpoint there; the schedule still spans train.steps, so --resume continues the same run (--set train.steps=N changes the run's length).",
                               valueName: "n"))
    var steps: Int?

    func run() throws {
        do {
            try Pretraining.run(PretrainOptions(configFile: config, overrides: overrides, resume: resume,
                                                runDirectory: runDirectory, stopAfter: steps))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
