// Parsing and validating a safetensors header: the 8-byte length, the JSON object, every entry's
// dtype, shape and offsets, and that no two tensors share bytes. Nothing here trusts the file.
import Foundation

/// Where one tensor lies in the data section, after validation.
struct SafeTensorsLayout: Sendable {
    let dtype: SafeTensorsDType
    let shape: [Int]
    let count: Int
    /// Byte offsets relative to the start of the data section; begin ≤ end ≤ data size.
    let begin: Int
    let end: Int
}

/// A validated header: the metadata, every tensor's layout, and where the data section starts.
struct SafeTensorsHeader: Sendable {
    /// Larger headers are refused before any allocation, as Python's safetensors does.
    static let maximumLength: UInt64 = 100_000_000

    let metadata: [String: String]
    let layouts: [String: SafeTensorsLayout]
    /// Byte offset of the data section from the start of the file.
    let dataStart: Int

    init(bytes: UnsafeRawBufferPointer, file: String) throws(SafeTensorsError) {
        guard bytes.count >= 8 else { throw .tooShort(file: file, byteCount: bytes.count) }
        let length = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard length <= Self.maximumLength, length <= UInt64(bytes.count - 8) else {
            throw .headerLengthOutOfRange(file: file, headerLength: length, fileSize: bytes.count)
        }
        dataStart = 8 + Int(length)
        let json = Data(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]))
        guard String(data: json, encoding: .utf8) != nil else {
            throw .malformedHeader(file: file, reason: "not valid UTF-8")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw .malformedHeader(file: file, reason: Self.reason(error))
        }
        guard var entries = object as? [String: Any] else {
            throw .malformedHeader(file: file, reason: "its top level is a \(Self.kind(object))")
        }
        metadata = try Self.metadata(entries.removeValue(forKey: "__metadata__"), file: file)
        let dataSize = bytes.count - dataStart
        var layouts: [String: SafeTensorsLayout] = [:]
        for name in entries.keys.sorted() {
            layouts[name] = try Self.layout(entries[name] as Any, name: name, dataSize: dataSize, file: file)
        }
        try Self.checkDisjoint(layouts, file: file)
        self.layouts = layouts
    }

    private static func metadata(_ value: Any?, file: String) throws(SafeTensorsError) -> [String: String] {
        guard let value else { return [:] }
        guard let map = value as? [String: Any] else {
            throw .malformedMetadata(file: file, reason: "is a \(kind(value)), not an object")
        }
        var metadata: [String: String] = [:]
        for key in map.keys.sorted() {
            guard let text = map[key] as? String else {
                throw .malformedMetadata(file: file, reason: "value of \"\(key)\" is a \(kind(map[key] as Any)), not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func layout(_ value: Any, name: String, dataSize: Int, file: String) throws(SafeTensorsError) -> SafeTensorsLayout {
        func malformed(_ reason: String) -> SafeTensorsError { .malformedEntry(file: file, tensor: name, reason: reason) }
        guard let entry = value as? [String: Any] else { throw malformed("entry is a \(kind(value)), not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw malformed("\"dtype\" is missing or not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = entry["shape"] as? [Any] else { throw malformed("\"shape\" is missing or not an array") }
        var shape: [Int] = []
        for value in shapeValues {
            guard let dim = integer(value) else { throw malformed("\"shape\" holds \(value), not an integer") }
            shape.append(dim)
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
              let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
            throw malformed("\"data_offsets\" is missing or not two integers")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidShape(file: file, tensor: name, shape: shape, reason: "a dimension is negative")
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .invalidShape(file: file, tensor: name, shape: shape, reason: "its size overflows") }
            count = product
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw .offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        // count·byteSize cannot overflow once it is compared with a span that fits the file.
        let span = end - begin
        guard count <= span / dtype.byteSize, count * dtype.byteSize == span else {
            let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            throw .sizeMismatch(file: file, tensor: name, byteCount: span, expectedByteCount: overflow ? Int.max : expected)
        }
        return SafeTensorsLayout(dtype: dtype, shape: shape, count: count, begin: begin, end: end)
    }

    /// Empty tensors own no bytes; every other pair must not share one.
    private static func checkDisjoint(_ layouts: [String: SafeTensorsLayout], file: String) throws(SafeTensorsError) {
        let spans = layouts.filter { $0.value.end > $0.value.begin }
            .sorted { ($0.value.begin, $0.key) < ($1.value.begin, $1.key) }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.value.begin < previous.value.end {
            throw .overlappingTensors(file: file, first: previous.key, second: next.key)
        }
    }

    /// A JSON integer that fits Int; booleans and reals (even 2.0) are not integers.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "c", "d", "f": return nil  // "c" is how JSONSerialization marks true and false
        default: return number as? Int
        }
    }

    private static func kind(_ value: Any) -> String {
        switch value {
        case is String: return "string"
        case let number as NSNumber: return String(cString: number.objCType) == "c" ? "boolean" : "number"
        case is [Any]: return "array"
        case is [String: Any]: return "object"
        default: return "null"
        }
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
    }
}
