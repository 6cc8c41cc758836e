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
    let architecture: ExportArchitecture
    let checkpoint: Checkpoint
    let source: String
    let inputShape: [Int]
    let outputShape: [Int]

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
                "target_frames": d.audioFrames ?? config.model.audio.frames,
                "padding": "zeros after normalisation beyond the clip's frames; longer clips cut",
                "clip_seconds": config.data.clipSeconds,
            ]
            if let n = d.normalization {
                out["normalization"] = ["formula": "(fbank - mean) / (2 * std)", "mean": short(n.mean), "std": short(n.std)]
            }
            return out
        case .video:
            let v = d.video
            var out: [String: Any] = [
                "input": "frames [batch, channels, frames, height, width], pixel values scaled to [0, 1] then normalised",
                "fps": d.fps, "num_frames": d.videoFrames, "clip_seconds": config.data.clipSeconds,
                "pixel_format": v.pixelFormat == .gray ? "gray" : "rgb",
                "resize": [v.size.height, v.size.width], "resize_filter": "area (ffmpeg swscale)",
                "crop": [v.outputSize.height, v.outputSize.width], "crop_at_inference": "centre",
                "normalization": ["formula": "(x - mean) / std per channel", "mean": v.normalization.mean.map(short),
                                  "std": v.normalization.std.map(short)],
                "padding": "zero frames after a clip shorter than num_frames",
            ]
            if v.centredOverTime {
                out["clip_centring"] = "after normalisation and crop, every pixel minus its mean over the clip's frames (before padding)"
            }
            return out
        }
    }

    var configJSON: String {
        let object: [String: Any] = [
            "modality": modality.rawValue, "architecture": architecture.details, "model_args": architecture.modelArguments,
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
        let size = architecture.size
        return """
            # Duet \(modality.rawValue) encoder

            Exported by `duet export` from `\(checkpoint.folder.path)` (run `\(config.name)`), the tower \
            found \(source.isEmpty ? "at the root of the checkpoint (a single-modality MAE)" : "under `\(source)`").

            | file | what it holds |
            |---|---|
            | `model.safetensors` | the encoder's weights with \(architecture.isLipReading ? "RAVEn's front-end names and timm's block names" : "timm's names") and PyTorch's layouts (`{"format": "pt"}`) |
            | `config.json` | the architecture (`model_args` build it) and every preprocessing constant (`preprocessing`) |
            | `sample.safetensors` | `input` \(inputShape) (a standard normal draw) and `output` \(outputShape), Duet's features for it |

            Architecture: \(architecture.summary); width \(size.dim), \(size.depth) blocks, \(size.heads) heads. The output is \
            `forward_features`: \(architecture.isLipReading ? "one token a frame" : "every token, the class token first"), \
            after the final LayerNorm. Feed it inputs made \
            exactly as `config.json`'s `preprocessing` says; anything else is not what it was trained on.

            ```python
            \(architecture.pythonBuild)
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
