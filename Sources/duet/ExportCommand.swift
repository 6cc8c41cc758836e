// `duet export`: one encoder tower of a checkpoint as files PyTorch loads (DuetTrain's `EncoderExport`).
import ArgumentParser
import DuetObjectives
import DuetTrain
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a checkpoint's audio or video encoder as model.safetensors, config.json, sample.safetensors and README.md.",
        discussion: """
            The weights carry timm's names and PyTorch's layouts; config.json holds the architecture and every \
            preprocessing constant; README.md the PyTorch snippet that loads them with strict=True and reproduces \
            sample.safetensors. The output folder must not exist; nothing partial is left on failure.
            """)

    @Option(help: ArgumentHelp("A checkpoint folder, a run folder (its latest checkpoint) or RUN/checkpoints/latest.",
                               valueName: "path"))
    var checkpoint: String

    @Option(help: ArgumentHelp("audio or video.", valueName: "modality"))
    var modality: String

    @Option(help: ArgumentHelp("The folder to create.", valueName: "dir"))
    var out: String

    func run() throws {
        do {
            guard let which = Modality(rawValue: modality) else {
                throw ExportError.usage("--modality must be audio or video, got '\(modality)'")
            }
            let summary = try EncoderExport.run(checkpoint: checkpoint, modality: which, out: out)
            print("exported the \(which.rawValue) encoder (\(String(format: "%.2f", Double(summary.parameters) / 1e6))M parameters, "
                + "input \(summary.inputShape) → \(summary.outputShape)) to \(summary.folder.path)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
