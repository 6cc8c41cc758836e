// The errors DuetData throws: a malformed manifest or label file (naming the file and the line),
// a bad media file the policy makes fatal, too many bad files, or options that cannot work.
import DuetMedia

/// Why a manifest, a label file or the loader could not go on.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A line of a manifest, label or vocabulary file is malformed (`line` counts from 1).
    case malformed(file: String, line: Int, reason: String)
    /// A manifest, label, vocabulary or statistics file cannot be read or written.
    case io(file: String, reason: String)
    /// A label file's line count differs from its manifest's entry count.
    case labelCountMismatch(file: String, labels: Int, entries: Int)
    /// A sample failed to decode and the policy is `.fail`.
    case badFile(id: String, error: MediaError)
    /// More than the allowed fraction of an epoch's samples failed to decode.
    case tooManyBadFiles(epoch: Int, allowed: Int, samples: Int, failures: [SampleFailure])
    /// An option or a combination of options cannot work (names the option).
    case invalidOption(name: String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(file, line, reason): return "\(file):\(line): \(reason)"
        case let .io(file, reason): return "\(file): \(reason)"
        case let .labelCountMismatch(file, labels, entries):
            return "\(file): \(labels) label lines for \(entries) manifest entries; a label file needs one line per entry"
        case let .badFile(id, error): return "bad file (sample \(id)): \(error) [\(error.reasonCode)]; on_bad_file is fail"
        case let .tooManyBadFiles(epoch, allowed, samples, failures):
            let list = failures.map { "  \($0.file) [\($0.reason)]: \($0.message)" }.joined(separator: "\n")
            return "epoch \(epoch): \(failures.count) of \(samples) samples failed to decode, more than the \(allowed) "
                + "that max_bad_fraction allows; check or remove these files (duet data check):\n" + list
        case let .invalidOption(name, reason): return "\(name): \(reason)"
        }
    }
}
