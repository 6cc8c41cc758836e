// CheckpointError: every way writing, finding or reading a checkpoint can fail, each naming the
// folder or the file at fault.

public enum CheckpointError: Error, CustomStringConvertible, Sendable {
    /// `--resume latest` in a run whose checkpoints folder holds no complete checkpoint.
    case noCheckpoint(folder: String)
    /// A folder given to `--resume` that lacks one of the checkpoint's files.
    case incomplete(folder: String, missing: String)
    /// A file that is truncated or not what it should be (safetensors or state.json).
    case corrupt(file: String, reason: String)
    /// A file that reads but does not fit this run (other parameters, another optimizer).
    case mismatch(file: String, reason: String)
    /// The file system refused (creating, writing, syncing, renaming, removing).
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .noCheckpoint(folder):
            return "no checkpoint to resume in \(folder) (start without --resume, or give a checkpoint folder)"
        case let .incomplete(folder, missing):
            return "\(folder) is not a complete checkpoint: it has no \(missing)"
        case let .corrupt(file, reason):
            return "checkpoint file \(file) is damaged: \(reason)"
        case let .mismatch(file, reason):
            return "checkpoint file \(file) does not fit this run: \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
