// Masks drawn from a MediaRandom: SpecAugment time and frequency masks on filterbanks (as
// torchaudio's TimeMasking / FrequencyMasking draw them) and time masks on video frames.

/// One mask's span as torchaudio's `mask_along_axis` draws it: width = ⌊u·maxWidth⌋,
/// start = ⌊v·(size − u·maxWidth)⌋, for uniforms u, v.
func maskSpan(size: Int, maxWidth: Int, random: MediaRandom, draw: Int) -> Range<Int> {
    let value = random.uniform(2 * draw) * Float(maxWidth)
    let low = random.uniform(2 * draw + 1) * max(0, Float(size) - value)
    let start = min(size, Int(low)), end = min(size, Int(low + value))
    return start..<max(start, end)
}

extension Filterbank {
    /// `count` masks of up to `maxWidth` frames (rows) each, set to `fill`.
    public func timeMasked(maxWidth: Int, count: Int = 1, fill: Float = 0, random: MediaRandom) -> Filterbank {
        var out = self
        for m in 0..<max(0, count) {
            for f in maskSpan(size: frameCount, maxWidth: maxWidth, random: random, draw: m) {
                for b in 0..<binCount { out.values[f * binCount + b] = fill }
            }
        }
        return out
    }

    /// `count` masks of up to `maxWidth` bins (columns) each, set to `fill`.
    public func frequencyMasked(maxWidth: Int, count: Int = 1, fill: Float = 0, random: MediaRandom) -> Filterbank {
        var out = self
        for m in 0..<max(0, count) {
            let span = maskSpan(size: binCount, maxWidth: maxWidth, random: random, draw: m)
            for f in 0..<frameCount { for b in span { out.values[f * binCount + b] = fill } }
        }
        return out
    }
}

extension VideoClip {
    /// `count` runs of up to `maxFrames` consecutive frames set to `fill` (RAVEn / AV-HuBERT
    /// style time masking; fill with 0 or with the clip's mean after normalisation).
    public func timeMasked(maxFrames: Int, count: Int = 1, fill: Float = 0, random: MediaRandom) -> VideoClip {
        var out = self
        let size = frameSize
        for m in 0..<max(0, count) {
            for t in maskSpan(size: frameCount, maxWidth: maxFrames, random: random, draw: m) {
                out.values.withUnsafeMutableBufferPointer { v in
                    (v.baseAddress! + t * size).update(repeating: fill, count: size)
                }
            }
        }
        return out
    }
}
