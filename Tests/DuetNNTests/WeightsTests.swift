// Weights I/O: bit-for-bit round trips, strict loads that list every bad name, non-strict reports.
import Foundation
import Testing
import DuetTensor
@testable import DuetNN

@Suite struct WeightsTests {
    private func tinyViT(seed: UInt64, dim: Int = 16, depth: Int = 2) -> ParameterStore {
        let store = ParameterStore(seed: seed)
        _ = VisionTransformer(store.builder, config: VisionTransformerConfig(imageSize: (8, 8), patch: 4, inChannels: 1,
                                                                           dim: dim, depth: depth, heads: 2))
        store.finalize()
        return store
    }

    private func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("duet-\(UUID().uuidString)-\(name)")
    }

    /// The file and report of the `WeightsError.mismatch` that `body` throws, or nil.
    private func mismatch(_ body: () throws -> Void) -> (String, WeightsLoadReport)? {
        do { try body() } catch {
            if case let .mismatch(file, report)? = error as? WeightsError { return (file, report) }
        }
        return nil
    }

    @Test func saveThenLoadIsBitForBit() throws {
        let a = tinyViT(seed: 1), b = tinyViT(seed: 2)
        #expect(a.values!.scalars != b.values!.scalars)
        let url = temporaryFile("vit.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try a.save(to: url, metadata: ["model": "vit"])
        let report = try b.load(from: url)
        #expect(report.isExact && report.loaded.count == a.parameters.count)
        let bitsA = a.values!.scalars.map(\.bitPattern), bitsB = b.values!.scalars.map(\.bitPattern)
        #expect(bitsA == bitsB)
        #expect(try SafeTensorsFile.read(contentsOf: url).names == a.names.sorted())
    }

    @Test func strictLoadListsEveryMismatchAndChangesNothing() throws {
        let saved = tinyViT(seed: 1, dim: 16, depth: 2)
        let url = temporaryFile("vit.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try saved.save(to: url)
        let deeper = tinyViT(seed: 3, dim: 16, depth: 3)
        let before = deeper.values!.scalars
        let (file, report) = try #require(mismatch { try deeper.load(from: url) })
        #expect(file == url.path)
        #expect(report.missing.contains("blocks.2.attn.qkv.weight"))
        #expect(report.missing.allSatisfy { $0.hasPrefix("blocks.2.") })
        #expect(String(describing: WeightsError.mismatch(file: file, report: report)).contains("blocks.2.mlp.fc1.weight"))
        #expect(deeper.values!.scalars == before)

        let wider = tinyViT(seed: 3, dim: 24, depth: 2)
        let (_, widerReport) = try #require(mismatch { try wider.load(from: url) })
        #expect(widerReport.misshaped.contains { $0.name == "cls_token" && $0.model == [1, 1, 24] && $0.file == [1, 1, 16] })
        // Non-strict: what lines up loads, the rest is reported.
        let partial = try deeper.load(from: url, strict: false)
        #expect(partial.loaded.count == saved.parameters.count)
        #expect(!partial.missing.isEmpty && partial.unexpected.isEmpty)
        #expect(deeper["blocks.0.attn.qkv.weight"]!.value.scalars == saved["blocks.0.attn.qkv.weight"]!.value.scalars)
    }

    @Test func truncatedCheckpointIsAReadableError() throws {
        let url = temporaryFile("cut.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try tinyViT(seed: 1).save(to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        #expect(throws: WeightsError.self) { try tinyViT(seed: 2).load(from: url) }
        do { try tinyViT(seed: 2).load(from: url) } catch {
            #expect(String(describing: error).contains(url.lastPathComponent))
        }
    }
}
