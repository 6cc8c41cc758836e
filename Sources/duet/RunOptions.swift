// The options every training command shares (`duet pretrain`, `finetune`, `distill`): the recipe,
// its overrides, resuming, the run folder and an early stop, parsed once as an @OptionGroup.
import ArgumentParser
import DuetTrain

struct RunOptions: ParsableArguments {
    @Option(help: "A YAML recipe, such as configs/audiomae-tiny.yaml (optional with --resume PATH).")
    var config: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one key (repeatable), such as optim.lr=3e-4 or data.label_fraction=0.1.",
                               valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Continue from 'latest' (the run folder's newest complete checkpoint), a checkpoint folder or a run folder.",
                               valueName: "latest|path"))
    var resume: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp("The run folder (default runs/<name>).", valueName: "dir"))
    var runDirectory: String?

    @Option(help: ArgumentHelp("Stop after step N and write a checkpoint there; the schedule still spans train.steps, so --resume continues the same run (--set train.steps=N changes the run's length).",
                               valueName: "n"))
    var steps: Int?

    /// What DuetTrain's runners take, with `extra` overrides after the command line's.
    func pretrainOptions(adding extra: [String] = []) -> PretrainOptions {
        PretrainOptions(configFile: config, overrides: overrides + extra, resume: resume, runDirectory: runDirectory,
                        stopAfter: steps)
    }
}
