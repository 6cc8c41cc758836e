// The run's logs: metrics.jsonl lines parse, TensorBoard event files decode with valid CRCs, the
// config is written beside the run, and the console prints plain lines when it is not a terminal.
import Foundation
import Testing
@testable import DuetTrain

/// The TFRecords of an event file, checking both masked CRCs of each.
private func readRecords(_ data: Data) throws -> [[UInt8]] {
    let bytes = [UInt8](data)
    var records: [[UInt8]] = []
    var offset = 0
    func word<T: FixedWidthInteger>(_ type: T.Type, at position: Int) -> T {
        bytes[position..<position + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }
    while offset < bytes.count {
        let length = Int(word(UInt64.self, at: offset))
        #expect(word(UInt32.self, at: offset + 8) == maskedCRC32C(bytes[offset..<offset + 8]), "length CRC")
        let payload = Array(bytes[offset + 12..<offset + 12 + length])
        #expect(word(UInt32.self, at: offset + 12 + length) == maskedCRC32C(payload), "payload CRC")
        records.append(payload)
        offset += 16 + length
    }
    #expect(offset == bytes.count)
    return records
}

/// A decoded protobuf field: a varint, a fixed 32- or 64-bit word, or bytes.
private enum Field { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8]) }

private func decodeMessage(_ bytes: [UInt8]) -> [(Int, Field)] {
    var fields: [(Int, Field)] = []
    var i = 0
    func varint() -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let byte = bytes[i]; i += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
    func little(_ count: Int) -> UInt64 {
        defer { i += count }
        return bytes[i..<i + count].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
    while i < bytes.count {
        let key = varint()
        switch key & 7 {
        case 0: fields.append((Int(key >> 3), .varint(varint())))
        case 1: fields.append((Int(key >> 3), .fixed64(little(8))))
        case 5: fields.append((Int(key >> 3), .fixed32(UInt32(little(4)))))
        default:
            let length = Int(varint())
            fields.append((Int(key >> 3), .bytes(Array(bytes[i..<i + length]))))
            i += length
        }
    }
    return fields
}

@Suite("Trainer logs")
struct TrainerLogTests {
    @Test func objectiveMetricsFollowTheFixedKeysInNameOrder() throws {
        let record = StepMetrics(step: 3, loss: 0.5, lr: 1e-3, gradNorm: 2, samplesPerSecond: 8, skipped: 0,
                                 objective: ["target_std": 0.25, "loss_av": .nan, "acc\"1": 1])
        #expect(record.json == #"{"step":3,"loss":0.5,"lr":0.001,"grad_norm":2.0,"samples_per_s":8.0,"skipped":0,"acc\"1":1.0,"loss_av":null,"target_std":0.25}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(record.json.utf8)) as? [String: Any]
        #expect(parsed?["target_std"] as? Double == 0.25)
    }

    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc32c([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func runFolderHoldsMetricsEventsAndConfig() throws {
        var config = tinyAudioConfig(steps: 6)
        config.train.logEvery = 2
        let run = try trainedRun(config, "logs")
        defer { try? FileManager.default.removeItem(at: run.url) }
        let runURL = run.url

        let lines = try String(contentsOf: run.metricsFile, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let steps = objects.filter { $0["loss"] != nil }
        #expect(steps.map { $0["step"] as? Int } == [2, 4, 6])
        for object in steps {
            #expect(Set(object.keys) == ["step", "loss", "lr", "grad_norm", "samples_per_s", "skipped"])
            #expect((object["samples_per_s"] as? Double ?? 0) > 0 && object["skipped"] as? Int == 0)
        }
        #expect(objects.filter { $0["eval_loss"] != nil }.map { $0["step"] as? Int } == [4, 6])

        let eventFiles = try FileManager.default.contentsOfDirectory(atPath: runURL.path).filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(eventFiles.count == 1)
        let records = try readRecords(Data(contentsOf: runURL.appendingPathComponent(eventFiles[0])))
        let first = decodeMessage(records[0])
        #expect(first.contains { if case .bytes(let b) = $0.1, $0.0 == 3 { return b == Array("brain.Event:2".utf8) }; return false })
        var scalars: [String: [Int: Float]] = [:]
        for record in records.dropFirst() {
            let event = decodeMessage(record)
            guard case .varint(let step)? = event.first(where: { $0.0 == 2 })?.1,
                  case .bytes(let summary)? = event.first(where: { $0.0 == 5 })?.1,
                  case .fixed64(let time)? = event.first(where: { $0.0 == 1 })?.1 else {
                Issue.record("an event without step, summary or wall time"); continue
            }
            #expect(Double(bitPattern: time) > 1.6e9)
            for case (1, .bytes(let value)) in decodeMessage(summary) {
                let entry = decodeMessage(value)
                guard case .bytes(let tag)? = entry.first(where: { $0.0 == 1 })?.1,
                      case .fixed32(let bits)? = entry.first(where: { $0.0 == 2 })?.1 else { continue }
                scalars[String(decoding: tag, as: UTF8.self), default: [:]][Int(step)] = Float(bitPattern: bits)
            }
        }
        #expect(Set(scalars.keys) == ["train/loss", "train/lr", "train/grad_norm", "train/samples_per_s", "eval/loss"])
        for object in steps {
            let step = object["step"] as! Int
            #expect(scalars["train/loss"]?[step] == Float(object["loss"] as! Double))
            #expect(scalars["train/lr"]?[step] == Float(object["lr"] as! Double))
        }
        #expect(try RunConfig.load(contentsOf: run.configFile.path) == config)
        #expect(try String(contentsOf: run.logFile, encoding: .utf8).contains("step 6: held-out loss"))
    }

    @Test func plainLinesWhenNotATerminal() {
        nonisolated(unsafe) var printed: [String] = []
        let console = ConsoleProgress(totalSteps: 10, style: .lines) { printed.append($0) }
        console.update(step: 1, loss: 1, lr: 1e-3, samplesPerSecond: 10, eta: 5)
        console.line("step 1/10  loss 1.0000")
        #expect(printed == ["step 1/10  loss 1.0000\n"])
        let bar = ConsoleProgress(totalSteps: 10, style: .bar) { printed.append($0) }
        bar.update(step: 5, loss: 0.5, lr: 1e-3, samplesPerSecond: 10, eta: 75)
        #expect(printed.last!.hasPrefix("\r") && printed.last!.contains("step 5/10 [############------------] loss 0.5000")
                && printed.last!.contains("ETA 1m15s") && !printed.last!.contains("\n"))
        bar.line("saved")
        #expect(printed.last!.hasPrefix("\r\u{1B}[Ksaved\n") && printed.last!.hasSuffix("ETA 1m15s"))
    }
}
