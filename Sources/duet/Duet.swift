// The `duet` command-line tool: parses, then calls the library.
import ArgumentParser
import DuetTensor

@main
struct Duet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duet",
        abstract: "Self-supervised audio-visual training on the CPU.",
        subcommands: [Bench.self, ConfigCommand.self, DataCommand.self, DistillCommand.self, EvaluateCommand.self, ExportCommand.self,
                      FinetuneCommand.self, Media.self, PretrainCommand.self]
    )

    static func main() {
        OpenBLASKernelSwitch.executeAgainIfNeeded()
        main(nil)
    }
}
