// The synthetic corpus's pictures: 96×96 RGB frames of a lower face (skin shaded by the light,
// nostrils, philtrum, the fold under the lower lip) with lips drawn from the viseme: outer and
// inner contours as half-ellipses, the mouth interior, teeth and tongue when open. Head jitter,
// lighting and sensor noise come from the clip's random streams.
import DuetTensor
import Foundation

/// The lips' shape at one frame, the viseme averaged over the frame's 40 ms.
enum VisemeTrack {
    /// One viseme per video frame. Segments without a viseme take the next one (the lips
    /// anticipate); targets are smoothed by two cascaded 18 ms low-passes every 2 ms.
    static func frames(_ script: SyntheticScript) -> [Viseme] {
        var resolved = [Viseme](repeating: .rest, count: script.segments.count)
        var next = Viseme.rest
        for i in script.segments.indices.reversed() {
            next = script.segments[i].viseme ?? next
            resolved[i] = next
        }
        let step = SpeechSynthesizer.controlStep
        let stepsPerFrame = SyntheticScript.samplesPerFrame / step
        let alpha: Float = 1 - expf(-Float(step) / (0.018 * Float(SyntheticScript.sampleRate)))
        var first = resolved.first ?? .rest, second = first
        var segment = 0
        var frames: [Viseme] = []
        frames.reserveCapacity(script.frameCount)
        for _ in 0..<script.frameCount {
            var sum = Viseme(opening: 0, width: 0)
            for k in 0..<stepsPerFrame {
                let sample = (frames.count * stepsPerFrame + k) * step
                while segment + 1 < script.segments.count && script.segments[segment + 1].start <= sample { segment += 1 }
                first = first.moved(toward: resolved[segment], by: alpha)
                second = second.moved(toward: first, by: alpha)
                sum = sum.adding(second)
            }
            frames.append(sum.scaled(by: 1 / Float(stepsPerFrame)))
        }
        return frames
    }
}

extension Viseme {
    func moved(toward t: Viseme, by a: Float) -> Viseme {
        Viseme(opening: opening + (t.opening - opening) * a, width: width + (t.width - width) * a,
               rounding: rounding + (t.rounding - rounding) * a, lipsClosed: lipsClosed + (t.lipsClosed - lipsClosed) * a,
               teeth: teeth + (t.teeth - teeth) * a)
    }

    func adding(_ o: Viseme) -> Viseme {
        Viseme(opening: opening + o.opening, width: width + o.width, rounding: rounding + o.rounding,
               lipsClosed: lipsClosed + o.lipsClosed, teeth: teeth + o.teeth)
    }

    func scaled(by k: Float) -> Viseme {
        Viseme(opening: opening * k, width: width * k, rounding: rounding * k, lipsClosed: lipsClosed * k, teeth: teeth * k)
    }
}

/// Draws one speaker's frames. Holds float scratch planes, so use one per thread.
struct MouthRenderer {
    static let size = 96
    let speaker: SyntheticSpeaker
    private var red: [Float]
    private var green: [Float]
    private var blue: [Float]
    private var light: [Float]

    init(speaker: SyntheticSpeaker) {
        self.speaker = speaker
        let n = MouthRenderer.size * MouthRenderer.size
        red = [Float](repeating: 0, count: n)
        green = red
        blue = red
        light = red
    }

    /// All frames of a clip as packed RGB bytes, [frames, 96, 96, 3].
    mutating func render(_ script: SyntheticScript, key: SynthKey) -> [UInt8] {
        let visemes = VisemeTrack.frames(script)
        let jitter = key.stream(.jitter)
        let amplitude = (jitter.value(0, in: 0.3...1.5), jitter.value(1, in: 0.3...1.2))
        let slow = (jitter.value(2, in: 0.3...1), jitter.value(3, in: 0.3...1))
        let fast = (jitter.value(4, in: 1.5...3), jitter.value(5, in: 1.5...3))
        let phases = (0..<4).map { jitter.value(6 + $0, in: 0...(2 * Float.pi)) }
        let lighting = key.stream(.lighting)
        let brightness = lighting.value(0, in: 0.88...1.12)
        let flickerPhase = lighting.value(1, in: 0...(2 * Float.pi))
        let sensor = key.stream(.sensor)

        let frameBytes = MouthRenderer.size * MouthRenderer.size * 3
        var pixels = [UInt8](repeating: 0, count: visemes.count * frameBytes)
        pixels.withUnsafeMutableBufferPointer { out in
            for (f, viseme) in visemes.enumerated() {
                let t = Float(f) / Float(SyntheticScript.frameRate)
                let dx = amplitude.0 * (0.7 * sinf(2 * .pi * slow.0 * t + phases[0]) + 0.3 * sinf(2 * .pi * fast.0 * t + phases[1]))
                let dy = amplitude.1 * (0.7 * sinf(2 * .pi * slow.1 * t + phases[2]) + 0.3 * sinf(2 * .pi * fast.1 * t + phases[3]))
                let shine = brightness * (1 + 0.02 * sinf(2 * .pi * 0.5 * t + flickerPhase))
                drawFace(viseme, dx: dx, dy: dy, brightness: shine)
                quantise(into: out.baseAddress! + f * frameBytes, noise: sensor.derived(UInt64(f)))
            }
        }
        return pixels
    }

    /// Fills the float planes with one frame.
    private mutating func drawFace(_ v: Viseme, dx: Float, dy: Float, brightness: Float) {
        let n = MouthRenderer.size
        let s = speaker
        let cx = s.mouthX + dx, cy = s.mouthY + dy
        let gx = s.lightStrength * cosf(s.lightAngle) / 48, gy = s.lightStrength * sinf(s.lightAngle) / 48
        // Background: skin, lit from one side, darker towards the cheeks and the jaw.
        light.withUnsafeMutableBufferPointer { light in
            for y in 0..<n {
                let py = Float(y) + 0.5
                let jaw = 1 + max(0, py - cy) / 30
                for x in 0..<n {
                    let px = Float(x) + 0.5
                    let across = (px - cx) / 52
                    light[y * n + x] = brightness * (1 + gx * (px - 48 - dx) + gy * (py - 48 - dy)) * (1 - 0.22 * across * across * jaw)
                }
            }
        }
        // Shading that does not depend on the lips: nostrils and philtrum above the mouth.
        let noseY = cy - 40, nostrilGap = 0.5 * s.mouthHalfWidth + 1
        darken(x: (cx - nostrilGap - 6)...(cx + nostrilGap + 6), y: (noseY - 4)...(noseY + 4)) { px, py in
            var shade: Float = 0
            for side: Float in [-1, 1] {
                let u = (px - (cx + side * nostrilGap)) / 5, w = (py - noseY) / 2
                shade = max(shade, 0.35 * min(1, max(0, 1.5 - (u * u + w * w))))
            }
            return shade
        }

        let closed = min(1, max(0, v.lipsClosed))
        let gap = s.maxOpening * max(0, v.opening) * (1 - closed)
        let halfWidth = s.mouthHalfWidth * (0.82 + 0.32 * v.width) * (1 - 0.28 * v.rounding)
        let innerHalfWidth = halfWidth * (0.86 - 0.2 * v.rounding)
        let upperT = s.upperLip * (1 + 0.45 * v.rounding) * (1 - 0.15 * closed)
        let lowerT = s.lowerLip * (1 + 0.45 * v.rounding) * (1 - 0.15 * closed)
        let foldY = cy + 0.7 * gap + lowerT + 6.5
        darken(x: (cx - halfWidth)...(cx + halfWidth), y: (noseY + 4)...(cy + 0.7 * gap + lowerT + 12)) { px, py in
            let across = (px - cx) / halfWidth
            let fold = (py - foldY) / 2.2
            let philtrum = (abs(px - cx) - 2.5) / 1.2
            let inPhiltrum: Float = py < cy - 0.3 * gap - upperT ? 0.04 * expf(-philtrum * philtrum) : 0
            return max(0, 1 - across * across) * 0.14 * expf(-fold * fold) + inPhiltrum
        }

        let skin = s.skin, lip = s.lip
        let upperColour = lip * 0.8
        let interior = RGB(0.2, 0.06, 0.07), tongue = RGB(0.55, 0.24, 0.26), teethColour = RGB(0.93, 0.9, 0.82)
        let teethHeight = v.teeth * min(gap * 0.55 + 1, 4)
        let x0 = max(0, Int(cx - halfWidth)), x1 = min(n - 1, Int(cx + halfWidth) + 1)
        red.withUnsafeMutableBufferPointer { red in
        green.withUnsafeMutableBufferPointer { green in
        blue.withUnsafeMutableBufferPointer { blue in
        light.withUnsafeBufferPointer { light in
            for i in 0..<(n * n) {
                red[i] = skin.r * light[i]
                green[i] = skin.g * light[i]
                blue[i] = skin.b * light[i]
            }
            for x in x0...x1 {
                let px = Float(x) + 0.5
                let u = (px - cx) / halfWidth
                guard abs(u) < 1 else { continue }
                let e = (1 - u * u).squareRoot()
                let ui = (px - cx) / innerHalfWidth
                let ei = abs(ui) < 1 ? (1 - ui * ui).squareRoot() : 0
                let drawnGap = max(gap * ei, 0.6 * e)
                let upperInner = cy - 0.3 * drawnGap, lowerInner = cy + 0.7 * drawnGap
                let bow = 1 - 0.18 * expf(-(u / 0.16) * (u / 0.16))
                let upperOuter = upperInner - upperT * powf(e, 0.6) * bow
                let lowerOuter = lowerInner + lowerT * powf(e, 0.6)
                let teethEdge = upperInner + min(teethHeight * ei, drawnGap)
                let teethMask = max(0, min(1, (0.8 - abs(ui)) * 5))
                let tongueTop = lowerInner - max(0, gap - 5) * 0.35 * ei
                let y0 = max(0, Int(upperOuter)), y1 = min(n - 1, Int(lowerOuter) + 1)
                guard y0 <= y1 else { continue }
                for y in y0...y1 {
                    let top = Float(y), bottom = top + 1
                    func cover(_ a: Float, _ b: Float) -> Float { max(0, min(bottom, b) - max(top, a)) }
                    let upper = cover(upperOuter, upperInner), lower = cover(lowerInner, lowerOuter)
                    let mouth = cover(upperInner, lowerInner)
                    let teeth = cover(upperInner, teethEdge) * teethMask
                    let tongueCover = cover(tongueTop, lowerInner)
                    let dark = max(0, mouth - teeth - tongueCover)
                    // The lower lip catches the light in its middle.
                    let along = (top + 0.5 - lowerInner) / max(0.5, lowerOuter - lowerInner) - 0.4
                    let lowerColour = lip * (0.95 + 0.2 * expf(-along * along / 0.06))
                    let i = y * n + x
                    let l = light[i]
                    let keep = max(0, 1 - upper - lower - mouth)
                    red[i] = red[i] * keep + l * (upperColour.r * upper + lowerColour.r * lower + interior.r * dark + teethColour.r * teeth + tongue.r * tongueCover)
                    green[i] = green[i] * keep + l * (upperColour.g * upper + lowerColour.g * lower + interior.g * dark + teethColour.g * teeth + tongue.g * tongueCover)
                    blue[i] = blue[i] * keep + l * (upperColour.b * upper + lowerColour.b * lower + interior.b * dark + teethColour.b * teeth + tongue.b * tongueCover)
                }
            }
        }
        }
        }
        }
    }

    /// Multiplies the light inside a box by 1 − shade(x, y) (pixel centres).
    private mutating func darken(x: ClosedRange<Float>, y: ClosedRange<Float>, _ shade: (Float, Float) -> Float) {
        let n = MouthRenderer.size
        let x0 = max(0, Int(x.lowerBound)), x1 = min(n - 1, Int(x.upperBound))
        let y0 = max(0, Int(y.lowerBound)), y1 = min(n - 1, Int(y.upperBound))
        guard x0 <= x1, y0 <= y1 else { return }
        light.withUnsafeMutableBufferPointer { light in
            for yy in y0...y1 {
                for xx in x0...x1 {
                    light[yy * n + xx] *= 1 - shade(Float(xx) + 0.5, Float(yy) + 0.5)
                }
            }
        }
    }

    /// Rounds the planes to packed RGB bytes with sensor noise (triangular, the speaker's level):
    /// a 64-bit key per frame from the clip's stream, hashed with the pixel index (SplitMix64),
    /// so each pixel's grain is a pure function of (seed, speaker, clip, frame, pixel).
    private func quantise(into out: UnsafeMutablePointer<UInt8>, noise: RandomStream) {
        let count = MouthRenderer.size * MouthRenderer.size
        let words = noise.block(0)
        let key = UInt64(words.0) << 32 | UInt64(words.1)
        // Two random bytes make one triangular value with a standard deviation of about 104.5.
        let scale = speaker.sensorNoise / 104.5
        red.withUnsafeBufferPointer { red in
        green.withUnsafeBufferPointer { green in
        blue.withUnsafeBufferPointer { blue in
            let r = red.baseAddress!, g = green.baseAddress!, b = blue.baseAddress!
            var p = 0
            while p < count {
                var bits = splitMixHash(key &+ UInt64(p))
                for q in p..<min(p + 4, count) {
                    let grain = (Float(bits & 0xFF) + Float((bits >> 8) & 0xFF) - 255) * scale
                    bits >>= 16
                    out[3 * q] = byte(r[q] * 255 + grain)
                    out[3 * q + 1] = byte(g[q] * 255 + grain)
                    out[3 * q + 2] = byte(b[q] * 255 + grain)
                }
                p += 4
            }
        }
        }
        }
    }

    @inline(__always)
    private func byte(_ v: Float) -> UInt8 { v <= 0 ? 0 : (v >= 254.5 ? 255 : UInt8(v + 0.5)) }
}

/// SplitMix64's finaliser: 64 well-mixed bits from a counter.
@inline(__always)
func splitMixHash(_ x: UInt64) -> UInt64 {
    var z = x &* 0x9E37_79B9_7F4A_7C15 &+ 0x6A09_E667_F3BC_C909
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
