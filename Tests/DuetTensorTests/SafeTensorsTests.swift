// safetensors I/O: round trips through the writer, the strict layout it writes, half-precision
// decoding, and a corpus of malformed and randomly damaged files that must each throw, not crash.
import Foundation
import Testing
import DuetTestSupport
@testable import DuetTensor

/// A file made by hand: the 8-byte length (`headerLength`, or the JSON's own), `json`, `data`.
private func handMade(_ json: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
    let header = Array(json.utf8)
    var file = Data()
    withUnsafeBytes(of: (headerLength ?? UInt64(header.count)).littleEndian) { file.append(contentsOf: $0) }
    file.append(contentsOf: header)
    file.append(contentsOf: data)
    return file
}

/// A header entry as JSON.
private func entry(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

/// The name of the error's case (`tooShort`, `overlappingTensors`, ...).
private func caseName(_ error: SafeTensorsError) -> String {
    Mirror(reflecting: error).children.first?.label ?? "\(error)"
}

/// Parses `bytes` and decodes every entry; a failure must be a SafeTensorsError naming the file.
/// Returns the error's case name, or nil when the bytes form a valid file.
@discardableResult
private func parseOrReject(_ bytes: Data, name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        let file = try SafeTensorsFile(data: bytes, name: name)
        for key in file.names {
            let entry = try file.entry(key)
            #expect(try entry.floats().count == entry.count, sourceLocation: sourceLocation)
            if entry.dtype.isInteger { _ = try entry.int64s() }
        }
        return nil
    } catch {
        #expect(!error.description.isEmpty && error.description.contains(name), "\(error)", sourceLocation: sourceLocation)
        return caseName(error)
    }
}

/// Seeded random draws for the damaged-file corpus.
private struct Draws {
    let stream: RandomStream
    var index = 0
    mutating func below(_ bound: Int) -> Int {
        index += 1
        return stream.integer(index, below: bound)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(below(256)) } }
}

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("duet-safetensors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct SafeTensorsRoundTripTests {
    let tensors: [String: Tensor] = [
        "scalar": Tensor(shape: [], scalars: [-2.5]),
        "blocks.0.weight": Tensor.randomNormal([3, 5], stream: RandomStream(seed: 1)),
        "blocks.0.bias": Tensor(shape: [5], scalars: [0, -0.0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]),
        "cube": Tensor.randomNormal([2, 1, 3, 4], stream: RandomStream(seed: 2)),
        "empty": Tensor(shape: [0, 4], scalars: []),
    ]
    let integers: [String: ([Int64], shape: [Int])] = [
        "labels": ([0, 1, -1, .max, .min, 7], shape: [2, 3]),
        "step": ([42], shape: []),
    ]
    let metadata = ["eps": "1e-05", "note": "quote \" backslash \\ newline \n tab \t bell \u{07} ünïcødé"]

    @Test func writesAndReadsBack() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try SafeTensorsWriter.write(tensors, int64s: integers, metadata: metadata, to: url)
        let file = try SafeTensorsFile.read(contentsOf: url)

        #expect(file.names == (Array(tensors.keys) + Array(integers.keys)).sorted())
        #expect(file.metadata == metadata.merging(["format": "pt"]) { a, _ in a })
        for (name, tensor) in tensors {
            let entry = try file.entry(name)
            #expect(entry.dtype == .f32 && entry.shape == tensor.shape)
            let read = try file.tensor(name)
            #expect(read.shape == tensor.shape)
            #expect(read.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(name)")
        }
        for (name, (values, shape)) in integers {
            let entry = try file.entry(name)
            #expect(entry.dtype == .i64 && entry.shape == shape)
            #expect(try entry.int64s() == values)
            #expect(try entry.floats() == values.map(Float.init))
        }
        // Nothing but the file is left in the folder: the temporary file was renamed over it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
    }

    @Test func overwritesAnExistingFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("state.safetensors")
        try SafeTensorsWriter.write(tensors, to: url)
        try SafeTensorsWriter.write(["only": Tensor(shape: [2], scalars: [1, 2])], to: url)
        let file = try SafeTensorsFile.read(contentsOf: url)
        #expect(file.names == ["only"] && file.metadata == ["format": "pt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.safetensors"])
    }

    @Test func layoutIsStrict() throws {
        let bytes = try SafeTensorsWriter.serialize(tensors, int64s: integers, metadata: metadata)
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + length) % 8 == 0)
        let text = try #require(String(data: bytes.subdata(in: 8..<8 + length), encoding: .utf8))
        let json = text.trimmingCharacters(in: .whitespaces)
        #expect(json.hasPrefix("{\"__metadata__\":{") && json.hasSuffix("}"))
        #expect(text.dropFirst(json.count).allSatisfy { $0 == " " } && text.count - json.count < 8)

        // Data offsets run contiguously from 0 in name order and end at the end of the file.
        let header = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var offset = 0
        for name in header.keys.sorted() where name != "__metadata__" {
            let offsets = try #require((header[name] as? [String: Any])?["data_offsets"] as? [Int])
            #expect(offsets.first == offset, "\(name)")
            offset = offsets.last ?? -1
        }
        #expect(8 + length + offset == bytes.count)
    }

    @Test func writerRefusesWhatItCannotWrite() {
        let x = Tensor(shape: [1], scalars: [1])
        let cases: [(String, () throws -> Data)] = [
            ("reserved name", { try SafeTensorsWriter.serialize(["__metadata__": x], name: "a.safetensors") }),
            ("name twice", { try SafeTensorsWriter.serialize(["x": x], int64s: ["x": ([1], shape: [1])], name: "a.safetensors") }),
            ("count vs shape", { try SafeTensorsWriter.serialize([:], int64s: ["i": ([1, 2], shape: [3])], name: "a.safetensors") }),
            ("format", { try SafeTensorsWriter.serialize(["x": x], metadata: ["format": "np"], name: "a.safetensors") }),
        ]
        for (label, write) in cases {
            do {
                _ = try write()
                Issue.record("\(label): no error")
            } catch let error as SafeTensorsError {
                #expect(caseName(error) == "invalidArgument" && error.description.contains("a.safetensors"), "\(label): \(error)")
            } catch {
                Issue.record("\(label): \(error)")
            }
        }
    }

    @Test func writeToAMissingFolderThrows() {
        let url = URL(fileURLWithPath: "/nonexistent-duet-folder/x.safetensors")
        #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter.write([:], to: url) }
    }
}

@Suite struct SafeTensorsDecodingTests {
    @Test func halfAndBFloat16() throws {
        let halves: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00, 0x3555, 0x7E00]
        let halfValues: [Float] = [1, -2, 65504, 0x1p-24, 0x3FFp-24, 0x1p-14, -0.0, .infinity, -.infinity, 0.333251953125, .nan]
        let brains: [UInt16] = [0x3F80, 0xC040, 0x4049, 0x7F80, 0x0001, 0x8000]
        let brainValues: [Float] = [1, -3, 3.140625, .infinity, Float(bitPattern: 0x0001_0000), -0.0]
        let data = (halves + brains).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        // An unpadded header, so the values also sit at odd addresses.
        let json = "{" + entry("h", "F16", [halves.count], 0, 2 * halves.count) + ","
            + entry("b", "BF16", [brains.count], 2 * halves.count, data.count) + "}"
        let file = try SafeTensorsFile(data: handMade(json, data: data), name: "halves.safetensors")
        let h = try file.entry("h").floats(), b = try file.tensor("b").scalars
        #expect(h.last?.isNaN == true)
        #expect(h.dropLast().map(\.bitPattern) == halfValues.dropLast().map(\.bitPattern))
        #expect(b.map(\.bitPattern) == brainValues.map(\.bitPattern))
        #expect(throws: SafeTensorsError.self) { try file.entry("h").int64s() }
    }

    @Test func integerAndOtherDTypes() throws {
        var data: [UInt8] = []
        for v: Int32 in [-7, 1 << 30] { withUnsafeBytes(of: v.littleEndian) { data += $0 } }  // 0..<8
        for v: Double in [0.5, -1e300] { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }  // 8..<24
        data += [0xFF, 0x01]  // I8 -1, 1: 24..<26
        data += [0xFF, 0x00]  // U8 255, 0: 26..<28
        data += [0x00, 0x01, 0x02]  // BOOL: 28..<31
        let json = "{" + [entry("i32", "I32", [2], 0, 8), entry("f64", "F64", [2], 8, 24), entry("i8", "I8", [2], 24, 26),
                          entry("u8", "U8", [1, 2], 26, 28), entry("bool", "BOOL", [3], 28, 31)].joined(separator: ",") + "}"
        let file = try SafeTensorsFile(data: handMade(json, data: data), name: "ints.safetensors")
        #expect(try file.entry("i32").int64s() == [-7, 1 << 30])
        #expect(try file.entry("i32").int32s() == [-7, 1 << 30])
        #expect(try file.entry("i32").floats() == [-7, 1_073_741_824] as [Float])
        #expect(try file.entry("f64").floats() == [0.5, -.infinity])
        #expect(try file.entry("i8").int64s() == [-1, 1])
        #expect(try file.tensor("u8").scalars == [255, 0])
        #expect(try file.entry("bool").int64s() == [0, 1, 1])
        #expect(throws: SafeTensorsError.self) { try file.entry("f64").int64s() }
    }

    @Test func int32sRefusesValuesOutsideInt32() throws {
        let bytes = try SafeTensorsWriter.serialize([:], int64s: ["big": ([1, 1 << 40], shape: [2])], name: "big.safetensors")
        let file = try SafeTensorsFile(data: bytes, name: "big.safetensors")
        #expect(throws: SafeTensorsError.valueOutOfRange(file: "big.safetensors", tensor: "big", value: 1 << 40, requested: "Int32")) {
            try file.entry("big").int32s()
        }
    }

    @Test func missingTensorNamesTheKeyAndTheFile() throws {
        let file = try SafeTensorsFile(data: SafeTensorsWriter.serialize(["a": Tensor(shape: [1], scalars: [1])]), name: "m.safetensors")
        do {
            _ = try file.entry("in.x")
            Issue.record("no error for a missing tensor")
        } catch {
            #expect(error == .missingTensor(file: "m.safetensors", tensor: "in.x", available: 1))
            #expect(error.description.contains("in.x") && error.description.contains("m.safetensors"))
        }
    }

    @Test func unreadableFileNamesThePath() {
        let path = "/nonexistent-duet-folder/missing.safetensors"
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(contentsOf: URL(fileURLWithPath: path)) }
        do { _ = try SafeTensorsFile.read(contentsOf: URL(fileURLWithPath: path)) } catch { #expect(error.description.contains(path)) }
    }
}

@Suite struct SafeTensorsMalformedTests {
    /// Each file is wrong in one way; the error must be the case named beside it.
    @Test func malformedCorpus() {
        let ok = entry("a", "F32", [2], 0, 8)
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [(String, Data, String)] = [
            ("empty", Data(), "tooShort"),
            ("seven bytes", Data([8, 0, 0, 0, 0, 0, 0]), "tooShort"),
            ("header past end", handMade("{}", headerLength: 1000), "headerLengthOutOfRange"),
            ("header length 2^64-1", handMade("{}", headerLength: .max), "headerLengthOutOfRange"),
            ("header length 2^63", handMade("{}", headerLength: 1 << 63), "headerLengthOutOfRange"),
            ("empty header", handMade(""), "malformedHeader"),
            ("not UTF-8", handMade("{}").prefix(8) + Data([0x7B, 0xFF, 0xFE, 0x7D]), "malformedHeader"),
            ("bad JSON", handMade("{\"a\":"), "malformedHeader"),
            ("JSON array", handMade("[1, 2]"), "malformedHeader"),
            ("JSON string", handMade("\"a\""), "malformedHeader"),
            ("NUL padding", handMade("{}\0\0\0\0\0\0"), "malformedHeader"),
            ("deep nesting", handMade(String(repeating: "[", count: 100_000)), "malformedHeader"),
            ("metadata array", handMade("{\"__metadata__\":[1]}"), "malformedMetadata"),
            ("metadata number value", handMade("{\"__metadata__\":{\"eps\":1e-5}}"), "malformedMetadata"),
            ("entry not an object", handMade("{\"a\":3}"), "malformedEntry"),
            ("missing dtype", handMade("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight), "malformedEntry"),
            ("missing shape", handMade("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", data: eight), "malformedEntry"),
            ("missing offsets", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", data: eight), "malformedEntry"),
            ("dtype a number", handMade("{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight), "malformedEntry"),
            ("shape a string", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", data: eight), "malformedEntry"),
            ("shape real", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", data: eight), "malformedEntry"),
            ("shape boolean", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}}", data: eight), "malformedEntry"),
            ("three offsets", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", data: eight), "malformedEntry"),
            ("offset 1e30", handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e30]}}", data: eight), "malformedEntry"),
            ("offset past Int64", handMade("{" + entry("a", "F32", [2], 0, 0) .replacingOccurrences(of: "[0,0]", with: "[0,18446744073709551615]") + "}", data: eight), "malformedEntry"),
            ("unknown dtype", handMade("{" + entry("a", "F8_E4M3", [8], 0, 8) + "}", data: eight), "unknownDType"),
            ("negative dim", handMade("{" + entry("a", "F32", [-2], 0, 8) + "}", data: eight), "invalidShape"),
            ("negative dims cancelling", handMade("{" + entry("a", "F32", [-1, -2], 0, 8) + "}", data: eight), "invalidShape"),
            ("shape overflow", handMade("{" + entry("a", "F32", [1 << 40, 1 << 40], 0, 8) + "}", data: eight), "invalidShape"),
            ("end past data", handMade("{" + entry("a", "F32", [2], 0, 16) + "}", data: eight), "offsetsOutOfRange"),
            ("begin past end", handMade("{" + entry("a", "F32", [0], 12, 12) + "}", data: eight), "offsetsOutOfRange"),
            ("begin > end", handMade("{" + entry("a", "F32", [1], 8, 4) + "}", data: eight), "offsetsOutOfRange"),
            ("negative begin", handMade("{" + entry("a", "F32", [1], -4, 0) + "}", data: eight), "offsetsOutOfRange"),
            ("too few bytes", handMade("{" + entry("a", "F32", [3], 0, 8) + "}", data: eight), "sizeMismatch"),
            ("too many bytes", handMade("{" + entry("a", "F16", [3], 0, 8) + "}", data: eight), "sizeMismatch"),
            ("huge shape, small span", handMade("{" + entry("a", "F64", [1 << 61], 0, 8) + "}", data: eight), "sizeMismatch"),
            ("overlap", handMade("{" + entry("a", "F32", [2], 0, 8) + "," + entry("b", "F32", [2], 4, 12) + "}",
                                 data: eight + eight), "overlappingTensors"),
            ("same range", handMade("{" + ok + "," + entry("b", "I32", [2], 0, 8) + "}", data: eight), "overlappingTensors"),
            ("nested range", handMade("{" + entry("a", "F32", [4], 0, 16) + "," + entry("b", "F32", [1], 4, 8) + "," +
                                      entry("c", "F32", [1], 16, 20) + "}", data: eight + eight + eight), "overlappingTensors"),
        ]
        for (label, bytes, expected) in cases {
            let name = "/corpus/\(label).safetensors"
            #expect(parseOrReject(bytes, name: name) == expected, "\(label)")
        }
        // The same layouts made valid still parse, so the cases above fail for the reason named.
        #expect(parseOrReject(handMade("{" + ok + "}", data: eight), name: "ok") == nil)
        #expect(parseOrReject(handMade("{" + ok + "," + entry("e", "F32", [0], 4, 4) + "}", data: eight), name: "ok") == nil)
        #expect(parseOrReject(handMade("{\"__metadata__\":{\"k\":\"v\"}}   "), name: "ok") == nil)
    }

    @Test func randomBytesNeverCrash() {
        var draws = Draws(stream: RandomStream(seed: 2024, stream: 1))
        for i in 0..<200 {
            var bytes = draws.bytes(draws.below(300))
            // Half of them carry a header length that fits, so the JSON parser sees the noise.
            if i % 2 == 0, bytes.count >= 8 {
                let length = UInt64(draws.below(bytes.count - 7))
                withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
                if length > 0 { bytes[8] = UInt8(ascii: "{") }
            }
            parseOrReject(Data(bytes), name: "random-\(i).safetensors")
        }
    }

    @Test func damagedFilesNeverCrash() throws {
        let valid = try SafeTensorsWriter.serialize(
            ["a.weight": Tensor.randomNormal([3, 4], stream: RandomStream(seed: 5)), "b": Tensor(shape: [], scalars: [1])],
            int64s: ["labels": ([1, 2, 3], shape: [3])], metadata: ["eps": "1e-6"])
        let headerEnd = 8 + Int(valid[0]) + Int(valid[1]) << 8
        let structural = Array("{}[]\",:-0123456789eE. \\tfn".utf8)
        var draws = Draws(stream: RandomStream(seed: 2024, stream: 2))
        var rejected = 0
        for i in 0..<600 {
            var bytes = [UInt8](valid)
            switch i % 4 {
            case 0:  // bit flips, mostly in the header
                for _ in 0...draws.below(3) {
                    let at = draws.below(4) == 0 ? draws.below(bytes.count) : draws.below(headerEnd)
                    bytes[at] ^= 1 << UInt8(draws.below(8))
                }
            case 1:  // truncation
                bytes.removeLast(1 + draws.below(bytes.count))
            case 2:  // a header byte replaced by JSON punctuation or a digit
                bytes[8 + draws.below(headerEnd - 8)] = structural[draws.below(structural.count)]
            default:  // a run of the header deleted and the length left as it was
                let start = 8 + draws.below(headerEnd - 8)
                bytes.removeSubrange(start..<min(headerEnd, start + 1 + draws.below(6)))
            }
            if parseOrReject(Data(bytes), name: "damaged-\(i).safetensors") != nil { rejected += 1 }
        }
        #expect(rejected > 300)
    }
}
