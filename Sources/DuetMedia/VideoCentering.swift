// Per-clip centring of frames over time, the video counterpart of Kaldi's per-utterance cepstral
// mean normalisation: what does not move in a clip (the speaker's skin, lip colour, mouth position
// and lighting) is removed, and what moves (the lips) is kept.
extension VideoClip {
    /// Every value minus the mean of its pixel (same channel, row and column) over the clip's
    /// frames. A clip with no frames is returned as it is.
    public func centredOverTime() -> VideoClip {
        guard frameCount > 0 else { return self }
        let size = frameSize
        var mean = [Float](repeating: 0, count: size)
        var out = self
        out.values.withUnsafeMutableBufferPointer { v in
            mean.withUnsafeMutableBufferPointer { m in
                let p = v.baseAddress!, mp = m.baseAddress!
                for frame in 0..<frameCount {
                    let f = p + frame * size
                    for i in 0..<size { mp[i] += f[i] }
                }
                let scale = 1 / Float(frameCount)
                for i in 0..<size { mp[i] *= scale }
                for frame in 0..<frameCount {
                    let f = p + frame * size
                    for i in 0..<size { f[i] -= mp[i] }
                }
            }
        }
        return out
    }
}
