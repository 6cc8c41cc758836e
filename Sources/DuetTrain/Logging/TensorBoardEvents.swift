// TensorBoard event files written by hand: TFRecord framing (length, masked CRC32C of the length,
// payload, masked CRC32C of the payload) around `Event` protobufs with scalar summaries, the
// protobuf fields encoded directly so that Duet needs no protobuf library.
import Foundation

/// Writes `events.out.tfevents.<time>.<host>` in a folder; TensorBoard reads it while it grows.
public final class TensorBoardWriter {
    public let file: URL
    private let handle: FileHandle

    /// Creates the file and writes the `brain.Event:2` version record TensorBoard expects first.
    public init(folder: URL, date: Date = Date()) throws(TrainError) {
        let stem = "events.out.tfevents.\(Int(date.timeIntervalSince1970)).\(ProcessInfo.processInfo.hostName)"
        var url = folder.appendingPathComponent(stem)
        var attempt = 1
        while FileManager.default.fileExists(atPath: url.path) {
            url = folder.appendingPathComponent("\(stem).\(attempt)")
            attempt += 1
        }
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: url) else {
            throw .runFolder(path: url.path, reason: "cannot create the TensorBoard event file")
        }
        file = url
        self.handle = handle
        write(EventRecord.fileVersion(wallTime: date.timeIntervalSince1970))
    }

    deinit { try? handle.close() }

    /// One event at `step` holding a scalar summary per (tag, value).
    public func add(scalars: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        write(EventRecord.scalars(scalars, step: step, wallTime: wallTime))
    }

    /// A `SessionLog.START` at `step`: TensorBoard drops the events at this step and later that an
    /// earlier file of the run holds, so a resumed run's curves do not double back.
    public func markRestart(step: Int, wallTime: Double = Date().timeIntervalSince1970) {
        write(EventRecord.sessionStart(step: step, wallTime: wallTime))
    }

    // Logging must not stop a run: a failed write loses that event only.
    private func write(_ payload: [UInt8]) {
        try? handle.write(contentsOf: tfRecord(payload))
    }
}

/// `payload` framed as one TFRecord.
func tfRecord(_ payload: [UInt8]) -> Data {
    var record = Data()
    let length = withUnsafeBytes(of: UInt64(payload.count).littleEndian, Array.init)
    record.append(contentsOf: length)
    record.append(contentsOf: withUnsafeBytes(of: maskedCRC32C(length).littleEndian, Array.init))
    record.append(contentsOf: payload)
    record.append(contentsOf: withUnsafeBytes(of: maskedCRC32C(payload).littleEndian, Array.init))
    return record
}

/// The `tensorflow.Event` messages Duet writes, as protobuf bytes.
enum EventRecord {
    // Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5,
    // session_log = 6. Summary: value = 1 (repeated). Summary.Value: tag = 1, simple_value = 2
    // (float). SessionLog: status = 1 (START = 1).
    static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    static func scalars(_ scalars: [(tag: String, value: Double)], step: Int, wallTime: Double) -> [UInt8] {
        var summary = ProtobufWriter()
        for (tag, value) in scalars {
            var entry = ProtobufWriter()
            entry.string(1, tag)
            entry.float(2, Float(value))
            summary.message(1, entry.bytes)
        }
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.varint(2, UInt64(bitPattern: Int64(step)))
        event.message(5, summary.bytes)
        return event.bytes
    }

    static func sessionStart(step: Int, wallTime: Double) -> [UInt8] {
        var log = ProtobufWriter()
        log.varint(1, 1)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.varint(2, UInt64(bitPattern: Int64(step)))
        event.message(6, log.bytes)
        return event.bytes
    }
}

/// The four protobuf wire types Duet's events use.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, wireType: 0)
        appendVarint(value)
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, wireType: 1)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    }

    mutating func string(_ field: Int, _ value: String) {
        message(field, Array(value.utf8))
    }

    /// A length-delimited field: a string, bytes or an embedded message.
    mutating func message(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses it.
func crc32c<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// TFRecord's masked CRC: rotated right by 15 and offset, so a CRC of CRCs does not degenerate.
func maskedCRC32C<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
    let crc = crc32c(bytes)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
}

private let crc32cTable: [UInt32] = (0..<256).map { (index: UInt32) in
    var crc = index
    for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    return crc
}
