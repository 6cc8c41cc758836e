// Teachers: a timm image ViT (the vit_tiny_timm fixture), a Duet tower and a VideoMAE-layout file
// load; features come before the final norm and only as deep as asked; a teacher that does not
// fit stops with the file and the tensor.
import Foundation
import Testing
import DuetNN
import DuetTensor
import DuetTestSupport
@testable import DuetModels

@Suite struct TeacherEncoderTests {
    private func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("duet-teacher-\(ProcessInfo.processInfo.processIdentifier)-\(name).safetensors")
    }

    /// The fixture's tensors without their `param.` prefix, as a timm state dict.
    private func timmStateDict() throws -> [String: Tensor] {
        let fx = try Fixture.load("vit_tiny_timm")
        var dict: [String: Tensor] = [:]
        for key in fx.keys(prefix: "param.") { dict[String(key.dropFirst(6))] = try fx.tensor(key) }
        return dict
    }

    private func write(_ dict: [String: Tensor], _ name: String, metadata: [String: String] = ["heads": "3"]) throws -> URL {
        let url = scratch(name)
        try SafeTensorsWriter.write(dict, metadata: metadata, to: url)
        return url
    }

    @Test func timmImageViTLoadsAndMatchesBeforeItsNorm() throws {
        let fx = try Fixture.load("vit_tiny_timm")
        let x = try fx.tensor("in.x")
        let url = try write(try timmStateDict(), "timm")
        defer { try? FileManager.default.removeItem(at: url) }
        let teacher = try TeacherEncoder(contentsOf: url, grid: .image(channels: x.shape[1], height: x.shape[2], width: x.shape[3], patch: 16))
        #expect(teacher.heads == 3 && teacher.hasClassToken && teacher.lastBlock == 1)
        let features = teacher.features(x, classToken: true)
        // timm's forward_features is these tokens through the final norm.
        let normed = features.layerNorm(weight: try fx.tensor("param.norm.weight"), bias: try fx.tensor("param.norm.bias"), eps: 1e-6)
        expectClose(normed, try fx.tensor("out.y"), tolerance: 1e-5, "teacher features + norm = timm forward_features")
        #expect(!features.requiresGrad)
        #expect(teacher.features(x).shape == [x.shape[0], x.shape[2] * x.shape[3] / 256, features.shape[2]])
    }

    @Test func duetTowerLoadsUnderItsPrefixAndRunsPartially() throws {
        let grid = TokenGrid.video(channels: 1, frames: 4, height: 16, width: 16, tubelet: 2, patch: 8)
        let store = ParameterStore(seed: 3)
        let tower = MAEEncoder(store.builder.scope("video_encoder"), grid: grid, size: TransformerSize(dim: 16, depth: 3, heads: 2))
        store.finalize()
        let url = scratch("duet")
        try store.save(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let x = Tensor.randomNormal([2, 1, 4, 16, 16], stream: RandomStream(seed: 4))
        let full = try TeacherEncoder(contentsOf: url, grid: grid, heads: 2, prefixes: ["video_encoder."])
        let reference = noGrad { tower(x, mask: nil, context: .evaluation) }
        let normed = full.features(x, classToken: true).layerNorm(weight: tower.encoder.norm!.weight!.value,
                                                                 bias: tower.encoder.norm!.bias!.value, eps: 1e-6)
        expectClose(normed, reference, tolerance: 1e-5, "teacher + final norm = the Duet tower")
        // Built through block 0 only: the later blocks are not even in its store.
        let shallow = try TeacherEncoder(contentsOf: url, grid: grid, through: 0, heads: 2, prefixes: ["video_encoder."])
        #expect(shallow.blocks.count == 1 && shallow.store["blocks.1.attn.qkv.weight"] == nil)
        let firstBlock = noGrad { tower.encoder.blocks[0](tower.classToken!.prepend(to: tower.embed(x)), context: .evaluation) }
        expectClose(shallow.features(x, classToken: true), firstBlock, tolerance: 1e-5, "block 0 alone")
        expectClose(full.features(x, through: 0, classToken: true), firstBlock, tolerance: 1e-5, "through: 0 of a full teacher")
    }

    @Test func videoMAELayoutLoads() throws {
        let grid = TokenGrid.video(channels: 1, frames: 4, height: 16, width: 16, tubelet: 2, patch: 8)
        let stream = RandomStream(seed: 5)
        var dict: [String: Tensor] = ["encoder.patch_embed.proj.weight": .randomNormal([16, 1, 2, 8, 8], std: 0.1, stream: stream.derived(1)),
                                      "encoder.patch_embed.proj.bias": .zeros([16]),
                                      "encoder.norm.weight": .ones([16]), "encoder.norm.bias": .zeros([16])]
        let shapes: [(String, [Int])] = [("norm1.weight", [16]), ("norm1.bias", [16]), ("attn.qkv.weight", [48, 16]),
                                         ("attn.q_bias", [16]), ("attn.v_bias", [16]), ("attn.proj.weight", [16, 16]),
                                         ("attn.proj.bias", [16]), ("norm2.weight", [16]), ("norm2.bias", [16]),
                                         ("mlp.fc1.weight", [64, 16]), ("mlp.fc1.bias", [64]), ("mlp.fc2.weight", [16, 64]),
                                         ("mlp.fc2.bias", [16])]
        for (i, (name, shape)) in shapes.enumerated() {
            dict["encoder.blocks.0.\(name)"] = .randomNormal(shape, std: 0.1, stream: stream.derived(UInt64(10 + i)))
        }
        let url = try write(dict, "videomae", metadata: [:])
        defer { try? FileManager.default.removeItem(at: url) }
        let teacher = try TeacherEncoder(contentsOf: url, grid: grid, heads: 2)
        #expect(teacher.layout.prefix == "encoder." && !teacher.hasClassToken && teacher.layout.attentionBias == .queryValue)
        let bias = teacher.store["blocks.0.attn.qkv.bias"]!.value
        let q = dict["encoder.blocks.0.attn.q_bias"]!, v = dict["encoder.blocks.0.attn.v_bias"]!
        #expect((0..<16).allSatisfy { bias.pointer[$0] == q.pointer[$0] && bias.pointer[16 + $0] == 0 && bias.pointer[32 + $0] == v.pointer[$0] })
        let table = TeacherEncoder.videoMAESineTable(tokens: grid.tokens, dim: 16)
        #expect(teacher.store["pos_embed"]!.value.pointer[16 + 1] == table[16 + 1] && table[16 + 1] == Float(cos(1.0)))
        #expect(teacher.features(Tensor.randomNormal([1, 1, 4, 16, 16], stream: stream)).shape == [1, 8, 16])
    }

    @Test func mismatchedTeachersNameTheFileAndTheTensor() throws {
        let image = TokenGrid.image(channels: 3, height: 32, width: 32, patch: 16)
        let timm = try timmStateDict()
        func failure(_ dict: [String: Tensor], grid: TokenGrid = image, through: Int? = nil) throws -> TeacherError? {
            let url = try write(dict, "bad")
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                _ = try TeacherEncoder(contentsOf: url, grid: grid, through: through)
                return nil
            } catch { return error }
        }
        // Wrong patch size: the student cuts 8×8 patches.
        let patch = try failure(timm, grid: .image(channels: 3, height: 32, width: 32, patch: 8))
        #expect(patch?.description.contains("patch_embed.proj.weight") == true && patch?.description.contains("patch 16×16") == true)
        // Wrong channels, a video grid for an image ViT.
        #expect(try failure(timm, grid: .image(channels: 1, height: 32, width: 32, patch: 16))?.description.contains("input channels") == true)
        #expect(try failure(timm, grid: .video(channels: 3, frames: 4, height: 32, width: 32, tubelet: 2, patch: 16)) != nil)
        // Wrong width inside: block 1 is 32 wide in a 48-wide teacher.
        var narrow = timm
        narrow["blocks.1.attn.qkv.weight"] = .zeros([96, 32])
        guard case let .shape(_, name, expected, got)? = try failure(narrow) else { Issue.record("no shape error"); return }
        #expect(name == "blocks.1.attn.qkv.weight" && expected == [144, 48] && got == [96, 32])
        // Wrong image size: the position table has 5 rows, the student's 64×64 input needs 17.
        if case let .shape(_, name, _, _)? = try failure(timm, grid: .image(channels: 3, height: 64, width: 64, patch: 16)) {
            #expect(name == "pos_embed")
        } else { Issue.record("a 64×64 grid took a 32×32 position table") }
        // Missing names.
        var missing = timm
        missing["blocks.1.mlp.fc2.weight"] = nil
        guard case let .missing(file, names)? = try failure(missing) else { Issue.record("no missing error"); return }
        #expect(names == ["blocks.1.mlp.fc2.weight"] && file.hasSuffix("bad.safetensors"))
        // A target block the teacher does not have; a file with no tower at all.
        #expect(try failure(timm, through: 2)?.description.contains("block 2") == true)
        #expect(try failure(["head.weight": .zeros([2, 2])])?.description.contains("no ViT tower") == true)
    }
}
