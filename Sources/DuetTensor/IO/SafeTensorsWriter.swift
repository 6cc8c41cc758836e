// Writing safetensors files the strict way: names sorted, data in name order, the header padded
// with spaces to 8 bytes, `"format": "pt"` metadata, little-endian data, atomic replacement.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes Float32 tensors and Int64 arrays to a safetensors file that PyTorch's
/// `safetensors.torch.load_file` reads.
public enum SafeTensorsWriter {
    /// Writes the file at `url` through a temporary file in the same folder, fsynced and then
    /// renamed over `url`, so a crash leaves either the old file or the new one.
    public static func write(
        _ tensors: [String: Tensor], int64s: [String: ([Int64], shape: [Int])] = [:],
        metadata: [String: String] = [:], to url: URL
    ) throws(SafeTensorsError) {
        let path = url.path
        let plan = try WritePlan(tensors, int64s: int64s, metadata: metadata, file: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + "." + UUID().uuidString + ".tmp"
        // Removes the temporary file, so a failed write leaves the folder as it was, and says why.
        func abandon(_ what: String, _ error: Error? = nil) -> SafeTensorsError {
            try? FileManager.default.removeItem(atPath: temporary)
            return .io(file: path, reason: what + (error.map { ": \($0.localizedDescription)" } ?? ""))
        }
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw abandon("cannot create the temporary file \(temporary)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try plan.emit { chunk in
                guard let base = chunk.baseAddress, !chunk.isEmpty else { return }
                try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                                                  count: chunk.count, deallocator: .none))
            }
            try handle.synchronize()
        } catch {
            throw abandon("cannot write the temporary file \(temporary)", error)
        }
        guard rename(temporary, path) == 0 else {
            throw abandon("cannot rename \(temporary) over it: \(String(cString: strerror(errno)))")
        }
    }

    /// The bytes `write` would put in a file; `name` stands for the file in errors.
    public static func serialize(
        _ tensors: [String: Tensor], int64s: [String: ([Int64], shape: [Int])] = [:],
        metadata: [String: String] = [:], name: String = "<memory>"
    ) throws(SafeTensorsError) -> Data {
        let plan = try WritePlan(tensors, int64s: int64s, metadata: metadata, file: name)
        var data = Data()
        data.reserveCapacity(plan.byteCount)
        plan.emit { chunk in data.append(contentsOf: chunk) }
        return data
    }
}

/// The header and the payloads of a file, in the order they are written.
private struct WritePlan {
    enum Payload {
        case floats(Tensor)
        case integers([Int64])
    }

    /// The 8-byte length and the space-padded JSON header.
    let header: [UInt8]
    let payloads: [Payload]
    let byteCount: Int

    init(_ tensors: [String: Tensor], int64s: [String: ([Int64], shape: [Int])],
         metadata: [String: String], file: String) throws(SafeTensorsError) {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidArgument(file: file, reason: reason) }
        if let format = metadata["format"], format != "pt" {
            throw invalid("metadata \"format\" is \"\(format)\"; Duet writes only \"pt\"")
        }
        var entries: [(name: String, dtype: SafeTensorsDType, shape: [Int], payload: Payload, bytes: Int)] = []
        for (name, tensor) in tensors {
            entries.append((name, .f32, tensor.shape, .floats(tensor), tensor.count * 4))
        }
        for (name, (values, shape)) in int64s {
            guard tensors[name] == nil else { throw invalid("\"\(name)\" is given both as a tensor and as Int64s") }
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
                throw invalid("Int64s \"\(name)\" has \(values.count) values for shape \(shape)")
            }
            entries.append((name, .i64, shape, .integers(values), values.count * 8))
        }
        guard tensors["__metadata__"] == nil, int64s["__metadata__"] == nil else {
            throw invalid("\"__metadata__\" is reserved and cannot name a tensor")
        }
        entries.sort { $0.name < $1.name }

        var fullMetadata = metadata
        fullMetadata["format"] = "pt"
        let metadataJSON = fullMetadata.keys.sorted()
            .map { "\(jsonString($0)):\(jsonString(fullMetadata[$0] ?? ""))" }.joined(separator: ",")
        var json = "{\"__metadata__\":{\(metadataJSON)}"
        var offset = 0
        for entry in entries {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            json += ",\(jsonString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(offset + entry.bytes)]}"
            offset += entry.bytes
        }
        json += "}"
        var jsonBytes = Array(json.utf8)
        // Python's safetensors pads the same way, so the data section starts 8-byte aligned.
        jsonBytes += [UInt8](repeating: 0x20, count: (8 - (8 + jsonBytes.count) % 8) % 8)
        header = withUnsafeBytes(of: UInt64(jsonBytes.count).littleEndian, Array.init) + jsonBytes
        payloads = entries.map(\.payload)
        byteCount = header.count + offset
    }

    /// Hands the file's bytes to `sink` in order, a few large chunks at a time.
    func emit(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try header.withUnsafeBytes { try sink($0) }
        for payload in payloads {
            switch payload {
            case let .floats(tensor):
                #if _endian(little)
                try sink(UnsafeRawBufferPointer(start: tensor.pointer, count: tensor.count * 4))
                #else
                let words = (0..<tensor.count).map { tensor.pointer[$0].bitPattern.littleEndian }
                try words.withUnsafeBytes { try sink($0) }
                #endif
            case let .integers(values):
                let words = values.map(\.littleEndian)
                try words.withUnsafeBytes { try sink($0) }
            }
        }
    }
}

/// `text` as a JSON string literal.
private func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
