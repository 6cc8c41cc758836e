// Layer-wise learning-rate decay for fine-tuning, as BEiT and MAE (util/lr_decay.py) assign it.

public enum LayerwiseDecay {
    /// BEiT's `get_layer_id_for_vit`: `cls_token`, `pos_embed` and `patch_embed.*` are layer 0,
    /// `blocks.i.*` layer i + 1, everything else (final norm, head, fusion layers) depth + 1.
    public static func layerID(of name: String, depth: Int) -> Int {
        if name == "cls_token" || name == "pos_embed" || name.hasPrefix("patch_embed") { return 0 }
        let parts = name.split(separator: ".", maxSplits: 2)
        if parts.count >= 2, parts[0] == "blocks", let i = Int(parts[1]) { return i + 1 }
        return depth + 1
    }

    /// The learning-rate scale of every parameter of `store`: decay^(depth + 1 − layer id), so the
    /// head trains at the full rate and the patch embedding at decay^(depth + 1). Pass the result
    /// as `lrScales` to `AdamW` or `SGD`.
    public static func scales(for store: ParameterStore, depth: Int, decay: Float) -> [String: Float] {
        var scales: [String: Float] = [:]
        for p in store.parameters {
            let exponent = depth + 1 - layerID(of: p.name, depth: depth)
            var scale = 1.0
            for _ in 0..<max(exponent, 0) { scale *= Double(decay) }
            scales[p.name] = Float(scale)
        }
        return scales
    }
}
