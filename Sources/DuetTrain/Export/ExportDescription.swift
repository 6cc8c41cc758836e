// The text files of an export: config.json (the architecture, the arguments that rebuild it in
// PyTorch, and every preprocessing constant the checkpoint's run fed the tower) and README.md
// (what the folder holds and the snippet that loads it with strict=True and checks the sample).
import DuetData
import DuetMedia
import DuetModels
import DuetObjectives
import Foundation

struct ExportDescription {
    let config: RunConfig
    let modality: Modality
    let grid: TokenGrid
    let size: TransformerSize
    let checkpoint: Checkpoint
    let source: String
    let inputShape: [Int]
    let outputShape: [Int]

    /// timm's VisionTransformer for 2-D patches; Duet's TubeletViT (export/duet_modules.py) for tubelets.
    var isTimm: Bool { if case .image = grid { return true } else { return false } }

    /// The keyword arguments of the PyTorch constructor.
    var modelArguments: [String: Any] {
        var args: [String: Any] = ["embed_dim": size.dim, "depth": size.depth, "num_heads": size.heads,
                                   "mlp_ratio": Double(size.mlpRatio), "qkv_bias": true, "class_token": true]
        switch grid {
        case let .image(c, h, w, p):
            args["img_size"] = [h, w]
            args["patch_size"] = p
            args["in_chans"] = c
            args["num_classes"] = 0
            args["global_pool"] = ""
        case let .video(c, t, h, w, tt, p):
            args["num_frames"] = t
            args["img_size"] = [h, w]
            args["tubelet_size"] = tt
            args["patch_size"] = p
            args["in_chans"] = c
        }
        return args
    }

    /// Every constant that turns a file into the tower's input, read from the dataset options
    /// the run itself used (evaluation mode: centre crops, no augmentation).
    var preprocessing: [String: Any] {
        let d = LoaderBatchSource.datasetOptions(for: config, training: false)
        switch modality {
        case .audio:
            let f = d.fbank
            var out: [String: Any] = [
                "input": "log-mel filterbank [batch, 1, frames, mel_bins] (time down, frequency across), as torchaudio.compliance.kaldi.fbank",
                "sample_rate": d.sampleRate, "num_mel_bins": f.melBins, "frame_length_ms": f.frameLength,
                "frame_shift_ms": f.frameShift, "window_type": "\(f.window)", "htk_compat": f.htkCompat,
                "use_energy": f.useEnergy, "dither": Double(f.dither), "preemphasis_coefficient": Double(f.preemphasis),
                "remove_dc_offset": f.removeDCOffset, "low_freq": f.lowFrequency, "high_freq": f.highFrequency,
                "waveform_scale": Double(f.inputScale), "channels": "mono (channels averaged)",
                "target_frames": d.audioFrames ?? grid.timeSteps * grid.framesPerStep,
                "padding": "zeros after normalisation beyond the clip's frames; longer clips cut",
                "clip_seconds": config.data.clipSeconds,
            ]
            if let n = d.normalization {
                out["normalization"] = ["formula": "(fbank - mean) / (2 * std)", "mean": short(n.mean), "std": short(n.std)]
            }
            return out
        case .video:
            let v = d.video
            return [
                "input": "frames [batch, channels, frames, height, width], pixel values scaled to [0, 1] then normalised",
                "fps": d.fps, "num_frames": d.videoFrames, "clip_seconds": config.data.clipSeconds,
                "pixel_format": v.pixelFormat == .gray ? "gray" : "rgb",
                "resize": [v.size.height, v.size.width], "resize_filter": "area (ffmpeg swscale)",
                "crop": [v.outputSize.height, v.outputSize.width], "crop_at_inference": "centre",
                "normalization": ["formula": "(x - mean) / std per channel", "mean": v.normalization.mean.map(short),
                                  "std": v.normalization.std.map(short)],
                "padding": "zero frames after a clip shorter than num_frames",
            ]
        }
    }

    var configJSON: String {
        let tokens = grid.tokens
        var architecture: [String: Any] = [
            "type": isTimm ? "timm.models.vision_transformer.VisionTransformer" : "duet_modules.TubeletViT",
            "layer_norm_eps": 1e-6, "activation": "gelu (erf)", "tokens": tokens + 1,
            "position_embedding": "fixed 2-D/3-D sine-cosine table (MAE), stored as pos_embed with a zero row for the class token",
            "output": "forward_features: [batch, 1 + \(tokens), \(size.dim)], the class token first, after the final norm",
        ]
        if case let .video(_, t, h, w, tt, p) = grid {
            architecture["token_order"] = "tubelets row-major over (time \(t / tt), height \(h / p), width \(w / p))"
        }
        let object: [String: Any] = [
            "modality": modality.rawValue, "architecture": architecture, "model_args": modelArguments,
            "preprocessing": preprocessing, "input_shape": inputShape, "output_shape": outputShape,
            "duet": ["version": DuetVersion.current, "checkpoint": checkpoint.folder.path, "run": config.name,
                     "objective": config.task.map { "finetune-\($0.kind.rawValue)" } ?? config.objective.name,
                     "tower_prefix_in_checkpoint": source],
        ]
        // Every value is a plain number, string, list or dictionary.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    var readme: String {
        let build: String
        if isTimm {
            build = """
                import json, torch, timm
                from safetensors.torch import load_file

                config = json.load(open("config.json"))
                model = timm.models.vision_transformer.VisionTransformer(**config["model_args"])
                """
        } else {
            build = """
                import json, torch
                from safetensors.torch import load_file
                from duet_modules import TubeletViT  # export/duet_modules.py of the Duet repository

                config = json.load(open("config.json"))
                model = TubeletViT(**config["model_args"])
                """
        }
        let architecture = isTimm ? "timm's `VisionTransformer` (no head: `num_classes=0`, `global_pool=''`)"
            : "a ViT over \(modelArguments["tubelet_size"]!)×\(modelArguments["patch_size"]!)×\(modelArguments["patch_size"]!) tubelets: `TubeletViT` in `export/duet_modules.py` of the Duet repository (timm's `Block`s behind a `Conv3d` patch embedding)"
        return """
            # Duet \(modality.rawValue) encoder

            Exported by `duet export` from `\(checkpoint.folder.path)` (run `\(config.name)`), the tower \
            found \(source.isEmpty ? "at the root of the checkpoint (a single-modality MAE)" : "under `\(source)`").

            | file | what it holds |
            |---|---|
            | `model.safetensors` | the encoder's weights with timm's names and PyTorch's layouts (`{"format": "pt"}`) |
            | `config.json` | the architecture (`model_args` build it) and every preprocessing constant (`preprocessing`) |
            | `sample.safetensors` | `input` \(inputShape) (a standard normal draw) and `output` \(outputShape), Duet's features for it |

            Architecture: \(architecture); width \(size.dim), \(size.depth) blocks, \(size.heads) heads. The output is \
            `forward_features`: every token after the final LayerNorm, the class token first. Feed it inputs made \
            exactly as `config.json`'s `preprocessing` says; anything else is not what it was trained on.

            ```python
            \(build)
            model.load_state_dict(load_file("model.safetensors"), strict=True)
            model.eval()
            sample = load_file("sample.safetensors")
            with torch.no_grad():
                out = model.forward_features(sample["input"])
            print("max |difference|:", (out - sample["output"]).abs().max().item())  # below 1e-4
            ```

            """
    }
}

/// A Float as the short decimal it was written as (0.421, not 0.42100000381…), for JSON.
private func short(_ x: Float) -> Double { Double(x.description) ?? Double(x) }
