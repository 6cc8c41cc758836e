// Small synthetic media the tests write with Duet's own writer: known pictures (a moving gradient
// with a bright square), known tones, in FFV1/PCM for exact checks and H.264/AAC for lossy ones.
import DuetMedia
import Foundation

enum TestMedia {
    /// Frame `t` of a `width`×`height` picture with `channels` interleaved bytes per pixel.
    static func picture(_ t: Int, width: Int, height: Int, channels: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            for x in 0..<width {
                let inSquare = (x - 4 * t) & 63 < 12 && y >= height / 4 && y < height / 4 + 12
                for c in 0..<channels {
                    let base = (x * 3 + y * 2 + t * 7 + c * 50) % 200 + 20
                    pixels[(y * width + x) * channels + c] = UInt8(inSquare ? 250 - c * 10 : base)
                }
            }
        }
        return pixels
    }

    /// A sine of `frequency` Hz and `amplitude`, `count` samples at `rate`.
    static func tone(_ frequency: Double, amplitude: Float = 0.5, count: Int, rate: Int) -> [Float] {
        (0..<count).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// Writes `frames` pictures (interleaved with `samples`) to `path`; returns the pictures.
    @discardableResult
    static func write(_ path: String, video: VideoStreamSettings?, frames: Int = 0, audio: AudioStreamSettings? = nil,
                      samples: [Float] = []) throws -> [[UInt8]] {
        let writer = try MediaWriter(path: path, video: video, audio: audio)
        var pictures: [[UInt8]] = []
        let perFrame = video != nil ? samples.count / max(1, frames) : samples.count
        var offset = 0
        for t in 0..<frames {
            guard let v = video else { break }
            let p = picture(t, width: v.width, height: v.height, channels: v.input.channels)
            try writer.appendFrame(p)
            pictures.append(p)
            if audio != nil, perFrame > 0 {
                try writer.appendAudio(Array(samples[offset..<min(samples.count, offset + perFrame)]))
                offset += perFrame
            }
        }
        if audio != nil, offset < samples.count { try writer.appendAudio(Array(samples[offset...])) }
        try writer.finish()
        return pictures
    }

    /// Interleaved 8-bit pictures as the [T, C, H, W] floats in [0, 1] a reader returns.
    static func planar(_ pictures: [[UInt8]], channels: Int) -> [Float] {
        var out: [Float] = []
        for p in pictures {
            let pixels = p.count / channels
            for c in 0..<channels { for i in 0..<pixels { out.append(Float(p[i * channels + c]) / 255) } }
        }
        return out
    }

    /// Peak signal-to-noise ratio in dB between two same-length buffers of values in [0, 1].
    static func psnr(_ a: [Float], _ b: [Float]) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) { sum += Double(x - y) * Double(x - y) }
        let mse = sum / Double(max(1, a.count))
        return mse == 0 ? .infinity : 10 * log10(1 / mse)
    }
}
