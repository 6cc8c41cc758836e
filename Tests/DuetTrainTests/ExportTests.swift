// `duet export`: the tower's weights under timm's (or RAVEn's front-end's) names beside config.json, a sample and a README;
// the sample reproduces; a checkpoint without the modality, a damaged checkpoint and an existing
// output folder each stop with a clear error and leave nothing behind.
import DuetModels
import DuetNN
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

@Suite("Encoder export")
struct ExportTests {
    /// The entries of `parent` that are not `keep` (partial folders left behind, if any).
    func leftovers(in parent: URL, besides keep: Set<String> = []) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []).filter { !keep.contains($0) }
    }

    @Test func exportsTheAudioTowerWithTimmNames() throws {
        let run = try trainedRun(tinyAudioConfig(steps: 2), "export")
        defer { try? FileManager.default.removeItem(at: run.url) }
        let parent = freshFolder("export-out")
        defer { try? FileManager.default.removeItem(at: parent) }
        let out = parent.appendingPathComponent("audio-encoder")
        let summary = try EncoderExport.run(checkpoint: run.url.path, modality: .audio, out: out.path)
        #expect(Set(leftovers(in: out)) == ["model.safetensors", "config.json", "sample.safetensors", "README.md"])
        #expect(leftovers(in: parent) == ["audio-encoder"])
        #expect(summary.outputShape == [1, 1 + 16, 32])

        let model = try SafeTensorsFile.read(contentsOf: out.appendingPathComponent("model.safetensors"))
        #expect(model.metadata["format"] == "pt")
        #expect(model.names.sorted() == ["blocks.0.attn.proj.bias", "blocks.0.attn.proj.weight", "blocks.0.attn.qkv.bias",
                                          "blocks.0.attn.qkv.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc1.weight",
                                          "blocks.0.mlp.fc2.bias", "blocks.0.mlp.fc2.weight", "blocks.0.norm1.bias",
                                          "blocks.0.norm1.weight", "blocks.0.norm2.bias", "blocks.0.norm2.weight", "cls_token",
                                          "norm.bias", "norm.weight", "patch_embed.proj.bias", "patch_embed.proj.weight", "pos_embed"])
        #expect(try model.entry("patch_embed.proj.weight").shape == [32, 1, 8, 8])
        let checkpoint = try SafeTensorsFile.read(contentsOf: run.checkpoints.latest()!.modelFile)
        for name in model.names { #expect(try model.tensor(name).scalars == checkpoint.tensor(name).scalars, "\(name)") }

        // The sample: Duet's encoder on the sample's input, rebuilt from the exported weights.
        let sample = try SafeTensorsFile.read(contentsOf: out.appendingPathComponent("sample.safetensors"))
        let store = ParameterStore(seed: 9)
        let encoder = MAEEncoder(store.builder, grid: .image(channels: 1, height: 32, width: 32, patch: 8),
                                 size: TransformerSize(dim: 32, depth: 1, heads: 2))
        store.finalize()
        try store.load(from: out.appendingPathComponent("model.safetensors"))
        let again = noGrad { encoder(try! sample.tensor("input"), mask: nil, context: .evaluation) }
        #expect(again.scalars == (try sample.tensor("output").scalars))

        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        let preprocessing = config["preprocessing"] as! [String: Any]
        #expect(preprocessing["sample_rate"] as? Int == 16000)
        #expect(preprocessing["num_mel_bins"] as? Int == 32)
        #expect(preprocessing["frame_shift_ms"] as? Double == 10)
        #expect((preprocessing["normalization"] as? [String: Any])?["mean"] as? Double == -4.2677393)
        let args = config["model_args"] as! [String: Any]
        #expect(args["img_size"] as? [Int] == [32, 32] && args["patch_size"] as? Int == 8 && args["in_chans"] as? Int == 1)
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("VisionTransformer(**config[\"model_args\"])") && readme.contains("strict=True"))
    }

    @Test func exportsRAVEnLipReadingTowerWithItsRunningStatistics() throws {
        // Trained on frames centred over each clip, which config.json must tell the user.
        var trained = tinyRAVEnConfig(steps: 2)
        trained.data.videoNorm = .clipMean
        let run = try trainedRun(trained, "export-lip")
        defer { try? FileManager.default.removeItem(at: run.url) }
        let parent = freshFolder("export-lip-out")
        defer { try? FileManager.default.removeItem(at: parent) }
        let out = parent.appendingPathComponent("video-encoder")
        let summary = try EncoderExport.run(checkpoint: run.url.path, modality: .video, out: out.path)
        #expect(Set(leftovers(in: out)) == ["model.safetensors", "config.json", "sample.safetensors", "README.md"])
        #expect(summary.inputShape == [1, 1, 6, 16, 16] && summary.outputShape == [1, 6, 16])

        // The student's tower, without its prefix, name for name: RAVEn's front-end names, timm's blocks.
        let model = try SafeTensorsFile.read(contentsOf: out.appendingPathComponent("model.safetensors"))
        let checkpoint = try SafeTensorsFile.read(contentsOf: run.checkpoints.latest()!.modelFile)
        let tower = checkpoint.names.filter { $0.hasPrefix("video_encoder.") }.map { String($0.dropFirst("video_encoder.".count)) }
        #expect(model.metadata["format"] == "pt")
        #expect(model.names.sorted() == tower.sorted())
        for name in ["frontend.frontend3D.0.weight", "frontend.frontend3D.1.running_var", "frontend.trunk.layer1.0.conv1.weight",
                     "frontend.trunk.layer2.0.downsample.0.weight", "frontend.trunk.layer4.1.bn2.num_batches_tracked",
                     "proj.weight", "pos_embed", "blocks.0.ls1.gamma", "blocks.0.attn.qkv.weight", "norm.bias"] {
            #expect(model.contains(name), "\(name)")
        }
        #expect(!model.names.contains { $0.hasPrefix("video_encoder.") || $0.hasPrefix("audio_encoder.") || $0.hasPrefix("predictor") })
        #expect(try model.entry("frontend.frontend3D.0.weight").shape == [4, 1, 5, 7, 7])
        #expect(try model.entry("proj.weight").shape == [16, 32] && model.entry("pos_embed").shape == [1, 6, 16])
        for name in model.names { #expect(try model.tensor(name).scalars == checkpoint.tensor("video_encoder." + name).scalars, "\(name)") }
        // Two training steps moved the running statistics: those are what evaluation mode reads.
        #expect(try model.tensor("frontend.frontend3D.1.running_mean").scalars.contains { $0 != 0 })
        #expect(try model.tensor("frontend.frontend3D.1.num_batches_tracked").scalars == [2])

        // The sample is the tower's evaluation-mode output on the sample's input.
        let sample = try SafeTensorsFile.read(contentsOf: out.appendingPathComponent("sample.safetensors"))
        let store = ParameterStore(seed: 9)
        let rebuilt = ObjectiveFactory.lipReadingTower(store.builder, config: tinyRAVEnConfig(), dropPath: 0)
        store.finalize()
        try store.load(from: out.appendingPathComponent("model.safetensors"))
        let again = noGrad { rebuilt(try! sample.tensor("input"), context: .evaluation) }
        #expect(again.scalars == (try sample.tensor("output").scalars))

        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        #expect((config["architecture"] as! [String: Any])["type"] as? String == "duet_modules.LipReadingEncoder")
        let args = config["model_args"] as! [String: Any]
        #expect(args["num_frames"] as? Int == 6 && args["in_chans"] as? Int == 1 && args["resnet_width"] as? Int == 4)
        #expect(args["resnet_layers"] as? [Int] == [2, 2, 2, 2] && args["relu_type"] as? String == "swish")
        #expect(args["embed_dim"] as? Int == 16 && args["depth"] as? Int == 1 && args["init_values"] as? Double == 0.1)
        let preprocessing = config["preprocessing"] as! [String: Any]
        #expect(preprocessing["pixel_format"] as? String == "gray" && preprocessing["num_frames"] as? Int == 6)
        #expect(preprocessing["fps"] as? Double == 25 && preprocessing["crop"] as? [Int] == [16, 16])
        let normalization = preprocessing["normalization"] as! [String: Any]
        #expect((normalization["mean"] as? [Double])?.count == 1 && (normalization["std"] as? [Double])?.count == 1)
        #expect((preprocessing["clip_centring"] as? String)?.contains("minus its mean over the clip's frames") == true)
        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("LipReadingEncoder(**config[\"model_args\"])") && readme.contains("strict=True")
            && readme.contains("model.eval()"))

        // RAVEn's audio tower (one token per video frame) is not one export writes yet: it says so.
        let audio = parent.appendingPathComponent("audio-encoder")
        #expect { try EncoderExport.run(checkpoint: run.url.path, modality: .audio, out: audio.path) } throws: { error in
            "\(error)".contains("filterbank-frame audio tower (model.audio.tokens: frames) cannot be exported yet")
        }
        #expect(leftovers(in: parent) == ["video-encoder"])
    }

    @Test func refusalsLeaveNothingBehind() throws {
        let run = try trainedRun(tinyAudioConfig(steps: 2), "export-refusals")
        defer { try? FileManager.default.removeItem(at: run.url) }
        let parent = freshFolder("export-refusals-out")
        defer { try? FileManager.default.removeItem(at: parent) }
        let out = parent.appendingPathComponent("encoder").path

        // The checkpoint has no video tower.
        #expect { try EncoderExport.run(checkpoint: run.url.path, modality: .video, out: out) } throws: { error in
            "\(error)".contains("holds no video encoder (its objective is mae-audio)")
        }
        #expect(leftovers(in: parent).isEmpty)

        // The output exists.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        #expect { try EncoderExport.run(checkpoint: run.url.path, modality: .audio, out: out) } throws: { error in
            "\(error)".contains("exists already")
        }
        #expect(leftovers(in: URL(fileURLWithPath: out)).isEmpty, "the existing folder is left as it was")
        try FileManager.default.removeItem(atPath: out)

        // A damaged model file.
        let checkpoint = run.checkpoints.latest()!
        let bytes = try Data(contentsOf: checkpoint.modelFile)
        try bytes.prefix(bytes.count / 2).write(to: checkpoint.modelFile)
        #expect { try EncoderExport.run(checkpoint: checkpoint.folder.path, modality: .audio, out: out) } throws: { error in
            "\(error)".contains("model.safetensors is damaged")
        }
        #expect(leftovers(in: parent).isEmpty)
        // A folder that is no checkpoint.
        #expect(throws: ExportError.self) { try EncoderExport.run(checkpoint: parent.path, modality: .audio, out: out) }
        #expect(leftovers(in: parent).isEmpty)
    }
}
