// SafeTensorsError: every way a safetensors file can fail to read or write, each naming the file
// and, where there is one, the tensor.

/// An error reading or writing a safetensors file. `description` names the file and the problem.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, read or written.
    case io(file: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case tooShort(file: String, byteCount: Int)
    /// The header length is zero, past the end of the file, or larger than any real header.
    case headerLengthOutOfRange(file: String, headerLength: UInt64, fileSize: Int)
    /// The header is not UTF-8 JSON, or not a JSON object.
    case malformedHeader(file: String, reason: String)
    /// `__metadata__` is not a map from strings to strings.
    case malformedMetadata(file: String, reason: String)
    /// A tensor's header entry lacks a field or has one of the wrong type.
    case malformedEntry(file: String, tensor: String, reason: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A negative dimension, or a shape whose size overflows.
    case invalidShape(file: String, tensor: String, shape: [Int], reason: String)
    /// `data_offsets` reversed, or reaching past the data section.
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// The byte range does not hold exactly product(shape) elements of the dtype.
    case sizeMismatch(file: String, tensor: String, byteCount: Int, expectedByteCount: Int)
    /// Two tensors share bytes.
    case overlappingTensors(file: String, first: String, second: String)
    case missingTensor(file: String, tensor: String, available: Int)
    /// The tensor's dtype cannot be read as the type asked for (floats as integers).
    case wrongDType(file: String, tensor: String, dtype: String, requested: String)
    /// A value does not fit the integer type asked for.
    case valueOutOfRange(file: String, tensor: String, value: Int64, requested: String)
    /// The writer was given something it cannot write (a reserved name, a shape that does not
    /// match its values, a name given twice).
    case invalidArgument(file: String, reason: String)

    public var file: String {
        switch self {
        case let .io(file, _), let .tooShort(file, _), let .headerLengthOutOfRange(file, _, _),
             let .malformedHeader(file, _), let .malformedMetadata(file, _), let .malformedEntry(file, _, _),
             let .unknownDType(file, _, _), let .invalidShape(file, _, _, _), let .offsetsOutOfRange(file, _, _, _, _),
             let .sizeMismatch(file, _, _, _), let .overlappingTensors(file, _, _), let .missingTensor(file, _, _),
             let .wrongDType(file, _, _, _), let .valueOutOfRange(file, _, _, _), let .invalidArgument(file, _):
            return file
        }
    }

    public var description: String {
        "safetensors file \(file): " + problem
    }

    private var problem: String {
        switch self {
        case let .io(_, reason):
            return reason
        case let .tooShort(_, byteCount):
            return "only \(byteCount) bytes, shorter than the 8-byte header length"
        case let .headerLengthOutOfRange(_, headerLength, fileSize):
            return "header length \(headerLength) does not fit a file of \(fileSize) bytes"
        case let .malformedHeader(_, reason):
            return "header is not a JSON object: \(reason)"
        case let .malformedMetadata(_, reason):
            return "__metadata__ \(reason)"
        case let .malformedEntry(_, tensor, reason):
            return "tensor \"\(tensor)\": \(reason)"
        case let .unknownDType(_, tensor, dtype):
            return "tensor \"\(tensor)\" has unknown dtype \"\(dtype)\" (known: "
                + SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case let .invalidShape(_, tensor, shape, reason):
            return "tensor \"\(tensor)\" has shape \(shape): \(reason)"
        case let .offsetsOutOfRange(_, tensor, begin, end, dataSize):
            return "tensor \"\(tensor)\" has data_offsets [\(begin), \(end)] outside the data section of \(dataSize) bytes"
        case let .sizeMismatch(_, tensor, byteCount, expectedByteCount):
            return "tensor \"\(tensor)\" spans \(byteCount) bytes but its shape and dtype need \(expectedByteCount)"
        case let .overlappingTensors(_, first, second):
            return "tensors \"\(first)\" and \"\(second)\" overlap"
        case let .missingTensor(_, tensor, available):
            return "no tensor named \"\(tensor)\" (the file holds \(available))"
        case let .wrongDType(_, tensor, dtype, requested):
            return "tensor \"\(tensor)\" is \(dtype) and cannot be read as \(requested)"
        case let .valueOutOfRange(_, tensor, value, requested):
            return "tensor \"\(tensor)\" holds \(value), which does not fit \(requested)"
        case let .invalidArgument(_, reason):
            return reason
        }
    }
}
