// SafeTensorsDType: the element types a safetensors file may hold that Duet can read, with their
// sizes in bytes.

/// An element type, spelled as in the safetensors header.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Whether the values are integers (or booleans), readable exactly as Int64.
    public var isInteger: Bool {
        switch self {
        case .i64, .i32, .i16, .i8, .u8, .bool: return true
        case .f64, .f32, .f16, .bf16: return false
        }
    }
}
