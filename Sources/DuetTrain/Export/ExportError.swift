// ExportError: every way `duet export` can refuse, each naming the checkpoint or the folder;
// none leaves a partial output behind.

public enum ExportError: Error, CustomStringConvertible, Sendable {
    /// The checkpoint cannot be found or read (missing files, damaged safetensors or state.json).
    case checkpoint(CheckpointError)
    /// The checkpoint holds no tower of the requested modality.
    case missingModality(checkpoint: String, modality: String, objective: String)
    /// The tower is of a kind export does not write yet.
    case unsupportedTower(checkpoint: String, reason: String)
    /// The output folder exists already (export never overwrites).
    case outputExists(path: String)
    /// Writing or renaming failed.
    case io(path: String, reason: String)
    case usage(String)

    public var description: String {
        switch self {
        case .checkpoint(let error): return error.description
        case let .missingModality(checkpoint, modality, objective):
            return "\(checkpoint) holds no \(modality) encoder (its objective is \(objective)); export --modality "
                + (modality == "video" ? "audio" : "video") + " or another checkpoint"
        case let .unsupportedTower(checkpoint, reason): return "\(checkpoint): \(reason)"
        case let .outputExists(path): return "\(path) exists already; export writes a new folder (remove it or pick another --out)"
        case let .io(path, reason): return "\(path): \(reason)"
        case .usage(let message): return message
        }
    }
}
