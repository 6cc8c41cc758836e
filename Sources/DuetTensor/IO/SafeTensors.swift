// Reading safetensors files: the validated file and its named entries, decoded to Float32
// tensors or to integers.
import Foundation

/// A safetensors file whose header has been validated: every entry's offsets and size are known
/// to lie inside the data, so reading an entry cannot fail on the file's layout.
public struct SafeTensorsFile: Sendable {
    /// The path the file was read from, or the name given for in-memory data; errors name it.
    public let file: String
    /// The `__metadata__` map, empty when the file has none.
    public let metadata: [String: String]
    /// The tensor names, sorted.
    public let names: [String]
    private let header: SafeTensorsHeader
    private let bytes: Data

    /// Reads and validates the file at `url` (memory-mapped where the system allows).
    public static func read(contentsOf url: URL) throws(SafeTensorsError) -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .io(file: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        return try SafeTensorsFile(data: data, name: url.path)
    }

    /// Validates safetensors bytes held in memory; `name` stands for the file in errors.
    public init(data: Data, name: String) throws(SafeTensorsError) {
        // Data.withUnsafeBytes rethrows untyped errors, so the typed one travels in a Result.
        let header = try data.withUnsafeBytes { raw in
            Result { () throws(SafeTensorsError) in try SafeTensorsHeader(bytes: raw, file: name) }
        }.get()
        file = name
        metadata = header.metadata
        names = header.layouts.keys.sorted()
        self.header = header
        bytes = data
    }

    public func contains(_ name: String) -> Bool { header.layouts[name] != nil }

    /// The entry called `name`; throws `missingTensor` naming the key and the file.
    public func entry(_ name: String) throws(SafeTensorsError) -> SafeTensorsEntry {
        guard let layout = header.layouts[name] else {
            throw .missingTensor(file: file, tensor: name, available: names.count)
        }
        return SafeTensorsEntry(name: name, file: file, layout: layout, bytes: bytes, dataStart: header.dataStart)
    }

    /// The entry called `name` as a Float32 tensor.
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        try entry(name).tensor()
    }
}

/// One tensor of a validated file: its dtype, shape, and ways to decode its bytes.
public struct SafeTensorsEntry: Sendable {
    public let name: String
    /// The file the entry belongs to, as `SafeTensorsFile.file` names it.
    public let file: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// The number of elements, product(shape).
    public let count: Int
    private let bytes: Data
    /// Byte offset of the first element from the start of `bytes`.
    private let offset: Int

    init(name: String, file: String, layout: SafeTensorsLayout, bytes: Data, dataStart: Int) {
        self.name = name
        self.file = file
        dtype = layout.dtype
        shape = layout.shape
        count = layout.count
        self.bytes = bytes
        offset = dataStart + layout.begin
    }

    /// The values as Float, converted from any dtype (integers above 2²⁴ round).
    public func floats() throws(SafeTensorsError) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { decodeFloats(into: base) }
            initialized = count
        }
    }

    /// The values as a Float32 tensor of the entry's shape.
    public func tensor() throws(SafeTensorsError) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        decodeFloats(into: t.pointer)
        return t
    }

    /// The values of an integer or boolean entry as Int64; float entries throw `wrongDType`.
    public func int64s() throws(SafeTensorsError) -> [Int64] {
        guard dtype.isInteger else { throw .wrongDType(file: file, tensor: name, dtype: dtype.rawValue, requested: "Int64") }
        return withElements { elements in (0..<count).map { elements.integer($0) } }
    }

    /// The values of an integer entry as Int32; a value outside Int32 throws `valueOutOfRange`.
    public func int32s() throws(SafeTensorsError) -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(count)
        for value in try int64s() {
            guard let narrow = Int32(exactly: value) else {
                throw .valueOutOfRange(file: file, tensor: name, value: value, requested: "Int32")
            }
            result.append(narrow)
        }
        return result
    }

    private func decodeFloats(into out: UnsafeMutablePointer<Float>) {
        withElements { elements in
            let n = count
            switch elements.dtype {
            case .f32:
                #if _endian(little)
                UnsafeMutableRawBufferPointer(start: out, count: n * 4).copyMemory(from: elements.bytes)
                #else
                for i in 0..<n { out[i] = Float(bitPattern: elements.load(i, as: UInt32.self)) }
                #endif
            case .f64: for i in 0..<n { out[i] = Float(Double(bitPattern: elements.load(i, as: UInt64.self))) }
            case .f16: for i in 0..<n { out[i] = floatFromHalfBits(elements.load(i, as: UInt16.self)) }
            case .bf16: for i in 0..<n { out[i] = floatFromBFloat16Bits(elements.load(i, as: UInt16.self)) }
            case .i64, .i32, .i16, .i8, .u8, .bool: for i in 0..<n { out[i] = Float(elements.integer(i)) }
            }
        }
    }

    private func withElements<R>(_ body: (ElementReader) -> R) -> R {
        bytes.withUnsafeBytes { raw in
            // The header check guarantees offset + count·byteSize ≤ raw.count.
            body(ElementReader(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count * dtype.byteSize]), dtype: dtype))
        }
    }
}

/// Little-endian loads of element i of one tensor's bytes, at any alignment.
private struct ElementReader {
    let bytes: UnsafeRawBufferPointer
    let dtype: SafeTensorsDType

    @inline(__always)
    func load<T: FixedWidthInteger>(_ i: Int, as: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: i &* MemoryLayout<T>.size, as: T.self))
    }

    /// Element i of an integer dtype (a float dtype reads as its bit pattern; callers check).
    @inline(__always)
    func integer(_ i: Int) -> Int64 {
        switch dtype {
        case .i64, .f64: return load(i, as: Int64.self)
        case .i32, .f32: return Int64(load(i, as: Int32.self))
        case .i16, .f16, .bf16: return Int64(load(i, as: Int16.self))
        case .i8: return Int64(load(i, as: Int8.self))
        case .u8: return Int64(load(i, as: UInt8.self))
        case .bool: return load(i, as: UInt8.self) == 0 ? 0 : 1
        }
    }
}
