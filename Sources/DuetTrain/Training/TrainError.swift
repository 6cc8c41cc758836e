// TrainError: what stops a run, each one line that says what went wrong and, where it can, what
// to try: a bad config, a checkpoint, the data, or a run of non-finite steps.
import DuetNN
import DuetObjectives

public enum TrainError: Error, CustomStringConvertible {
    case config(ConfigError)
    case checkpoint(CheckpointError)
    /// The batches do not fit the model (shapes, a missing modality).
    case objective(ObjectiveError)
    case optimizer(OptimizerError)
    /// The batch source failed: its own error, said in one line.
    case data(String)
    /// More than `train.max_nonfinite_in_a_row` steps in a row had a non-finite loss or gradient.
    case tooManyNonfinite(step: Int, inARow: Int, lastReason: String, ids: [String], lr: Double, clipGrad: Double?)
    /// The run folder cannot be used as asked (it holds a run already, it cannot be created).
    case runFolder(path: String, reason: String)
    /// Options that do not go together (`--resume latest` without a run folder, ...).
    case usage(String)

    public var description: String {
        switch self {
        case .config(let error): return error.description
        case .checkpoint(let error): return error.description
        case .objective(let error): return error.description
        case .optimizer(let error): return error.description
        case .data(let message): return "data: \(message)"
        case let .tooManyNonfinite(step, inARow, lastReason, ids, lr, clipGrad):
            let clip = clipGrad.map { "lower train.clip_grad (now \($0))" }
                ?? "enable gradient clipping (--set train.clip_grad=1.0)"
            return "stopped at step \(step): \(inARow) steps in a row had a non-finite \(lastReason) "
                + "(last batch: \(ids.prefix(8).joined(separator: ", "))\(ids.count > 8 ? ", …" : "")). "
                + "Try a lower learning rate (--set optim.lr=\(lr / 10), now \(lr)), \(clip), "
                + "or check the data of the samples named in the log"
        case let .runFolder(path, reason): return "run folder \(path): \(reason)"
        case .usage(let message): return message
        }
    }
}
