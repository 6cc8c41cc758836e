// Per-clip photometric jitter (SimCLR's colour jitter reduced to gray frames): one contrast factor
// and one brightness offset for every frame of a clip, so that what differs between speakers'
// faces and lighting varies within each speaker too, while the motion of the lips stays intact.
extension VideoClip {
    /// Every value v becomes c·(v − m) + m + b, with m the clip's mean, c drawn uniformly from
    /// [1 − contrast, 1 + contrast] and b from [−brightness, brightness] (in the values' own
    /// units: after normalisation, standard deviations). Zero for both returns the clip as it is.
    public func photometricallyJittered(contrast: Float, brightness: Float, random: MediaRandom) -> VideoClip {
        guard contrast > 0 || brightness > 0, !values.isEmpty else { return self }
        let factor = 1 + contrast * (2 * random.uniform(0) - 1)
        let offset = brightness * (2 * random.uniform(1) - 1)
        var out = self
        out.values.withUnsafeMutableBufferPointer { v in
            let p = v.baseAddress!, n = v.count
            var sum: Float = 0
            for i in 0..<n { sum += p[i] }
            let mean = sum / Float(n)
            // c·(v − m) + m + b = c·v + (m·(1 − c) + b): one multiply-add per value.
            let shift = mean * (1 - factor) + offset
            for i in 0..<n { p[i] = p[i] * factor + shift }
        }
        return out
    }
}
