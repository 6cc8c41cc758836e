// `duet distill`: trains a student from frozen teachers (mvd, distill-audio, dmae, mimco) with
// `duet pretrain`'s machinery; `--timing` measures the teachers' share of a step and their cost
// per target depth instead of training.
import ArgumentParser
import DuetTrain
import Foundation

struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distill frozen teachers into a student (mvd, distill-audio, dmae, mimco) from a YAML recipe, or resume a run.",
        discussion: """
            The teachers are named in the recipe (objective.image_teacher, objective.video_teacher, \
            objective.audio_teacher, objective.teacher): a safetensors file (timm or VideoMAE layout), a Duet \
            checkpoint folder or a Duet run folder. A teacher that does not fit the student stops the run \
            before the first step. The run folder is as duet pretrain's.
            """)

    @OptionGroup var runOptions: RunOptions

    @Flag(help: "Do not train: time a step against its teacher passes, and each teacher through every block.")
    var timing = false

    @Option(help: "Timed repeats per measurement with --timing.")
    var repeats = 5

    func run() throws {
        let options = runOptions.pretrainOptions()
        do {
            if timing {
                print(Self.describe(try Distillation.timing(options, repeats: repeats)))
            } else {
                try Distillation.run(options)
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func describe(_ t: Distillation.Timing) -> String {
        var lines = [String(format: "step (forward + backward + AdamW): %.1f ms", t.stepMilliseconds)]
        let teachers = t.teacherMilliseconds.reduce(0) { $0 + $1.ms }
        for (name, ms) in t.teacherMilliseconds {
            lines.append(String(format: "  teacher %@: %.1f ms (%.0f %% of the step)", name, ms, 100 * ms / t.stepMilliseconds))
        }
        lines.append(String(format: "  teachers together %.0f %%, student (the rest) %.0f %%", 100 * teachers / t.stepMilliseconds,
                            100 * (t.stepMilliseconds - teachers) / t.stepMilliseconds))
        for (key, ms) in t.depthMilliseconds {
            lines.append("\(key) forward through block k (ms): "
                + ms.enumerated().map { String(format: "%d: %.1f", $0.offset, $0.element) }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
