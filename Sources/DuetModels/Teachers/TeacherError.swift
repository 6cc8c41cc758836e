// Why a teacher file cannot serve: each case names the file and the tensor (and its shape) that
// does not fit, so a mismatched teacher stops before the first training step.
import DuetTensor

public enum TeacherError: Error, CustomStringConvertible, Sendable {
    /// The file could not be read (missing, not safetensors, truncated).
    case unreadable(file: String, reason: String)
    /// No ViT tower under any of the prefixes tried (`video_encoder.`, the root, `encoder.`, ...).
    case noTower(file: String, triedPrefixes: [String])
    /// Tensors the teacher needs are absent from the file.
    case missing(file: String, names: [String])
    /// A tensor has another shape than the teacher built from the file's patch embedding expects.
    case shape(file: String, name: String, expected: [Int], got: [Int])
    /// The patch or tubelet embedding does not cut the student's input into the same tokens.
    case patch(file: String, name: String, shape: [Int], reason: String)
    /// The targets need a block the file does not have.
    case depth(file: String, block: Int, depth: Int)
    /// The width cannot be split into the given number of heads.
    case heads(file: String, dim: Int, heads: Int)

    public var file: String {
        switch self {
        case let .unreadable(file, _), let .noTower(file, _), let .missing(file, _), let .shape(file, _, _, _),
             let .patch(file, _, _, _), let .depth(file, _, _), let .heads(file, _, _):
            return file
        }
    }

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "teacher \(file): \(reason)"
        case let .noTower(file, prefixes):
            return "teacher \(file): no ViT tower found (looked for patch_embed.proj.weight under "
                + prefixes.map { $0.isEmpty ? "the root" : "'\($0)'" }.joined(separator: ", ") + ")"
        case let .missing(file, names):
            let shown = names.prefix(6).joined(separator: ", ") + (names.count > 6 ? ", … (\(names.count) in all)" : "")
            return "teacher \(file): missing \(shown)"
        case let .shape(file, name, expected, got):
            return "teacher \(file): \(name) has shape \(got), expected \(expected)"
        case let .patch(file, name, shape, reason):
            return "teacher \(file): \(name) has shape \(shape): \(reason)"
        case let .depth(file, block, depth):
            return "teacher \(file): the targets need block \(block) (0-based) but the teacher has \(depth) blocks"
        case let .heads(file, dim, heads):
            return "teacher \(file): width \(dim) does not split into \(heads) heads (set objective.teacher_heads)"
        }
    }
}
