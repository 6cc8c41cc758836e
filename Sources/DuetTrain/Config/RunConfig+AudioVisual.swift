// The rules across sections that the audio-visual objectives add: MAViL's towers share a width
// (its fusion blocks attend over both), data2vec 2.0's top-K fits its towers' depth.
extension RunConfig {
    func validateAudioVisual(at path: ConfigPath) throws(ConfigError) {
        switch objective.name {
        case "mavil":
            try path["model.video.dim"].require(model.video.dim == model.audio.dim,
                "must equal model.audio.dim (\(model.audio.dim)): MAViL's fusion blocks attend over both towers' tokens, got \(model.video.dim)")
        case "data2vec2":
            let d2v = objective.data2vec2
            for (name, tower) in [("audio", model.audio.transformer), ("video", model.video.transformer)]
            where d2v.modalities.contains(name) {
                try path["objective.data2vec2.top_k"].require(d2v.topK <= tower.depth,
                    "must not exceed model.\(name).depth (\(tower.depth)), got \(d2v.topK)")
            }
            try path["objective.data2vec2.decoder_groups"].require(
                model.audio.dim % d2v.decoderGroups == 0 && model.video.dim % d2v.decoderGroups == 0,
                "must divide the towers' widths (\(model.audio.dim), \(model.video.dim)): the decoder's first grouped convolution reads them")
        default:
            break
        }
    }
}
