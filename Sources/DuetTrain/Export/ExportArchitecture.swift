// What an exported tower is in PyTorch: a ViT over patches (timm's VisionTransformer), over
// tubelets (duet_modules.TubeletViT), or RAVEn's lip-reading tower (duet_modules.LipReadingEncoder);
// each with its class, the constructor's keyword arguments and what `forward_features` returns.
import DuetModels
import DuetNN
import Foundation

/// The shape of RAVEn's video tower as its PyTorch module takes it.
struct LipReadingShape {
    var channels: Int
    var frames: Int
    var resnet: ResNetOptions
    var size: TransformerSize
    /// LayerScale's initial value; nil when the blocks have none (then no `ls1` / `ls2`).
    var layerScale: Float?
}

enum ExportArchitecture {
    case vit(TokenGrid, TransformerSize)
    case lipReading(LipReadingShape)

    var size: TransformerSize {
        switch self {
        case .vit(_, let size): return size
        case .lipReading(let shape): return shape.size
        }
    }

    /// timm's VisionTransformer takes the 2-D patch ViTs as they are.
    var isTimm: Bool { if case .vit(.image, _) = self { return true } else { return false } }

    var isLipReading: Bool { if case .lipReading = self { return true } else { return false } }

    /// The class of `duet_modules` (or timm) config.json names.
    var className: String {
        switch self {
        case .vit(.image, _): return "VisionTransformer"
        case .vit(.video, _): return "TubeletViT"
        case .lipReading: return "LipReadingEncoder"
        }
    }

    var qualifiedClassName: String { (isTimm ? "timm.models.vision_transformer." : "duet_modules.") + className }

    /// The keyword arguments of the PyTorch constructor.
    var modelArguments: [String: Any] {
        let size = self.size
        var args: [String: Any] = ["embed_dim": size.dim, "depth": size.depth, "num_heads": size.heads,
                                   "mlp_ratio": Double(size.mlpRatio), "qkv_bias": true]
        switch self {
        case let .vit(.image(c, h, w, p), _):
            args["img_size"] = [h, w]
            args["patch_size"] = p
            args["in_chans"] = c
            args["num_classes"] = 0
            args["global_pool"] = ""
            args["class_token"] = true
        case let .vit(.video(c, t, h, w, tt, p), _):
            args["num_frames"] = t
            args["img_size"] = [h, w]
            args["tubelet_size"] = tt
            args["patch_size"] = p
            args["in_chans"] = c
            args["class_token"] = true
        case .lipReading(let shape):
            args["num_frames"] = shape.frames
            args["in_chans"] = shape.channels
            args["resnet_width"] = shape.resnet.width
            args["resnet_layers"] = shape.resnet.blocks
            args["relu_type"] = Self.reluType(shape.resnet.activation)
            args["init_values"] = shape.layerScale.map { Double($0.description) ?? Double($0) } ?? NSNull()
        }
        return args
    }

    /// Auto-AVSR's `relu_type` for the activation.
    static func reluType(_ kind: ActivationKind) -> String {
        switch kind {
        case .relu: return "relu"
        case .swish: return "swish"
        case .prelu: return "prelu"
        }
    }

    /// Tokens of `forward_features`' output.
    var tokens: Int {
        switch self {
        case .vit(let grid, _): return grid.tokens + 1
        case .lipReading(let shape): return shape.frames
        }
    }

    /// config.json's `architecture` section, `type` included.
    var details: [String: Any] {
        let dim = size.dim
        var out: [String: Any] = ["type": qualifiedClassName, "layer_norm_eps": 1e-6, "activation": "gelu (erf)", "tokens": tokens]
        switch self {
        case let .vit(grid, _):
            out["position_embedding"] = "fixed 2-D/3-D sine-cosine table (MAE), stored as pos_embed with a zero row for the class token"
            out["output"] = "forward_features: [batch, 1 + \(grid.tokens), \(dim)], the class token first, after the final norm"
            if case let .video(_, t, h, w, tt, p) = grid {
                out["token_order"] = "tubelets row-major over (time \(t / tt), height \(h / p), width \(w / p))"
            }
        case .lipReading(let shape):
            out["front_end"] = "RAVEn / Auto-AVSR Conv3dResNet (frontend.frontend3D: Conv3d (5, 7, 7) stride (1, 2, 2), BatchNorm3d, "
                + "\(Self.reluType(shape.resnet.activation)), MaxPool3d (1, 3, 3) stride (1, 2, 2); frontend.trunk: ResNet-18 of "
                + "BasicBlocks \(shape.resnet.blocks) from width \(shape.resnet.width), global average pool per frame) → "
                + "\(8 * shape.resnet.width) features a frame, then proj (Linear) to \(dim)"
            out["batch_norm"] = "eval mode: the running statistics of the checkpoint (momentum 0.1, eps 1e-5)"
            out["position_embedding"] = "fixed 1-D sine-cosine table over the \(shape.frames) frames (MAE's formula), stored as pos_embed; "
                + "clips must have exactly num_frames frames"
            out["layer_scale"] = shape.layerScale.map { "timm LayerScale (ls1.gamma, ls2.gamma), initial value \($0)" } ?? "none"
            out["output"] = "forward_features: [batch, \(shape.frames), \(dim)], one token a frame, after the final norm"
        }
        return out
    }

    /// One line of the exported README on what the module is.
    var summary: String {
        switch self {
        case .vit(.image, _):
            return "timm's `VisionTransformer` (no head: `num_classes=0`, `global_pool=''`)"
        case let .vit(.video(_, _, _, _, tt, p), _):
            return "a ViT over \(tt)×\(p)×\(p) tubelets: `TubeletViT` in `export/duet_modules.py` of the Duet repository "
                + "(timm's `Block`s behind a `Conv3d` patch embedding)"
        case .lipReading(let shape):
            return "RAVEn's video encoder: `LipReadingEncoder` in `export/duet_modules.py` of the Duet repository (Auto-AVSR's "
                + "`Conv3dResNet` front-end at width \(shape.resnet.width), a `Linear` to the transformer's width, fixed 1-D "
                + "sine-cosine positions over \(shape.frames) frames, timm's `Block`s"
                + (shape.layerScale == nil ? "" : " with LayerScale") + "); its batch norms use the exported running statistics "
                + "(`model.eval()`; `num_batches_tracked` is stored as float32, which `load_state_dict` casts)"
        }
    }

    /// The README's Python lines that build the module from config.json.
    var pythonBuild: String {
        if isTimm {
            return """
                import json, torch, timm
                from safetensors.torch import load_file

                config = json.load(open("config.json"))
                model = timm.models.vision_transformer.VisionTransformer(**config["model_args"])
                """
        }
        return """
            import json, torch
            from safetensors.torch import load_file
            from duet_modules import \(className)  # export/duet_modules.py of the Duet repository

            config = json.load(open("config.json"))
            model = \(className)(**config["model_args"])
            """
    }
}
