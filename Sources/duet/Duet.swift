// The `duet` command-line tool: parses, then calls the library.
import ArgumentParser
import DuetTensor

@main
struct Duet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duet",
        abstract: "Self-supervised audio-visual training on the CPU.",
        subcommands: [Bench.self, ConfigCommand.self, DataGroup.self, Media.self, PretrainCommand.self]
    )
}

/// `duet data`: corpora and manifests.
struct DataGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Make and inspect datasets.", subcommands: [DataSynth.self])
}
