// `duet config show`: a config as a run would use it, defaults filled in and overrides applied.
import ArgumentParser
import DuetTrain
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect run configurations.",
        subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a config resolved: every key, defaults included, --set overrides applied, values checked.")

        @Argument(help: "A YAML config, such as configs/audiomae-tiny.yaml.")
        var config: String

        @Option(name: .customLong("set"), parsing: .singleValue,
                help: ArgumentHelp("Override one key (repeatable), such as optim.lr=3e-4.", valueName: "key=value"))
        var overrides: [String] = []

        func run() throws {
            do {
                print(try RunConfig.load(contentsOf: config, overrides: overrides).yaml, terminator: "")
            } catch {
                // The error is the whole message: one line naming the file, the line and the key.
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
