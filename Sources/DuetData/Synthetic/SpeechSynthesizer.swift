// The synthetic corpus's voice: a formant synthesiser in the manner of Klatt's. A glottal pulse
// train at the speaker's pitch and aspiration noise go through three formant resonators; frication
// is band-passed noise, nasals a low murmur, voiced closures a voice bar. Targets change per
// timeline segment and are smoothed every 2 ms, so formants glide between neighbours.
import DuetTensor
import Foundation

/// A second-order resonator (Klatt's form): unity gain at 0 Hz, a peak at `frequency`.
struct Resonator {
    private var a: Float = 1, b: Float = 0, c: Float = 0
    private var y1: Float = 0, y2: Float = 0

    mutating func tune(frequency: Float, bandwidth: Float, sampleRate: Float) {
        let f = min(frequency, 0.47 * sampleRate)
        let r = expf(-Float.pi * bandwidth / sampleRate)
        c = -r * r
        b = 2 * r * cosf(2 * Float.pi * f / sampleRate)
        a = 1 - b - c
    }

    @inline(__always)
    mutating func callAsFunction(_ x: Float) -> Float {
        let y = a * x + b * y1 + c * y2
        y2 = y1
        y1 = y
        return y
    }
}

/// A band-pass biquad with 0 dB gain at its centre (the audio-EQ cookbook's form).
struct BandPass {
    private var b0: Float = 0, a1: Float = 0, a2: Float = 0
    private var x1: Float = 0, x2: Float = 0, y1: Float = 0, y2: Float = 0

    mutating func tune(centre: Float, bandwidth: Float, sampleRate: Float) {
        let f = min(centre, 0.45 * sampleRate)
        let w = 2 * Float.pi * f / sampleRate
        let alpha = sinf(w) * f / (2 * max(bandwidth, 50))
        let norm = 1 / (1 + alpha)
        b0 = alpha * norm
        a1 = -2 * cosf(w) * norm
        a2 = (1 - alpha) * norm
    }

    @inline(__always)
    mutating func callAsFunction(_ x: Float) -> Float {
        let y = b0 * (x - x2) - a1 * y1 - a2 * y2
        x2 = x1
        x1 = x
        y2 = y1
        y1 = y
        return y
    }
}

/// `count` uniform values in [-1, 1): a 64-bit key from the counter-based stream, hashed with
/// the sample index, two values a hash.
func uniformNoise(_ stream: RandomStream, count: Int) -> [Float] {
    let words = stream.block(0)
    let key = UInt64(words.0) << 32 | UInt64(words.1)
    var out = [Float](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { p in
        for pair in stride(from: 0, to: count, by: 2) {
            let bits = splitMixHash(key &+ UInt64(pair))
            p[pair] = Float(bits >> 40) * (2.0 / 16_777_216.0) - 1
            if pair + 1 < count { p[pair + 1] = Float((bits >> 8) & 0xFF_FFFF) * (2.0 / 16_777_216.0) - 1 }
        }
    }
    return out
}

enum SpeechSynthesizer {
    static let controlStep = 32
    /// Brings a nasal murmur at amplitude 1 about 8 dB below a vowel, as measured on [m a].
    static let nasalGain: Float = 0.6

    /// The clip's audio: speech at a random level plus background noise at a random SNR in
    /// `snr` (dB), `script.sampleCount` samples at 16 kHz in [-1, 1].
    static func render(_ script: SyntheticScript, speaker: SyntheticSpeaker, key: SynthKey, snr: ClosedRange<Float>) -> [Float] {
        var speech = voice(script, speaker: speaker, key: key)
        let level = key.stream(.level)
        let active = speech[script.speechStart..<max(script.speechStart + 1, script.speechEnd)]
        let rms = (active.reduce(Float(0)) { $0 + $1 * $1 } / Float(active.count)).squareRoot()
        let target = 0.08 * level.value(0, in: 0.6...1.4)
        let gain = rms > 0 ? target / rms : 0
        let noiseLevel = target / powf(10, level.value(1, in: snr) / 20)
        let colour = level.value(2, in: 0...0.9)
        let white = uniformNoise(key.stream(.backgroundNoise), count: speech.count)
        // A one-pole low-pass colours the noise; dividing by its gain keeps the RMS as asked.
        let noiseScale = noiseLevel * 3.0.squareRoot().float / ((1 - colour) / (1 + colour)).squareRoot()
        var lowPassed: Float = 0
        for i in 0..<speech.count {
            lowPassed = (1 - colour) * white[i] + colour * lowPassed
            speech[i] = min(1, max(-1, speech[i] * gain + noiseScale * lowPassed))
        }
        return speech
    }

    /// The speech alone, before level and noise.
    static func voice(_ script: SyntheticScript, speaker: SyntheticSpeaker, key: SynthKey) -> [Float] {
        let count = script.sampleCount
        let rate = Float(SyntheticScript.sampleRate)
        let noise = uniformNoise(key.stream(.sourceNoise), count: count)
        let pitchDraws = key.stream(.pitch)
        let clipPitch = speaker.pitch * pitchDraws.value(0, in: 0.92...1.08)
        let wobblePhase = pitchDraws.value(1, in: 0...(2 * Float.pi))
        let speechSpan = Float(max(1, script.speechEnd - script.speechStart))

        var out = [Float](repeating: 0, count: count)
        var f1 = Resonator(), f2 = Resonator(), f3 = Resonator()
        var nasalLow = Resonator(), nasalHigh = Resonator(), voiceBar = Resonator()
        var frication = BandPass()
        nasalLow.tune(frequency: 250 * speaker.formantScale, bandwidth: 80, sampleRate: rate)
        voiceBar.tune(frequency: 180, bandwidth: 80, sampleRate: rate)

        var current = script.segments.first?.sound ?? SyntheticScript.silence
        var previous = current
        var segment = 0
        var phase: Float = 0, lastFlow: Float = 0
        let formantAlpha: Float = 1 - expf(-Float(controlStep) / (0.012 * rate))
        let amplitudeAlpha: Float = 1 - expf(-Float(controlStep) / (0.003 * rate))

        out.withUnsafeMutableBufferPointer { output in
            noise.withUnsafeBufferPointer { noise in
                var start = 0
                while start < count {
                    while segment + 1 < script.segments.count && script.segments[segment + 1].start <= start { segment += 1 }
                    let target = script.segments[segment].sound
                    previous = current
                    current = smoothed(current, toward: target, formants: formantAlpha, amplitudes: amplitudeAlpha)
                    let s = speaker.formantScale
                    f1.tune(frequency: current.f1 * s, bandwidth: 60 + 0.05 * current.f1, sampleRate: rate)
                    f2.tune(frequency: current.f2 * s, bandwidth: 90, sampleRate: rate)
                    f3.tune(frequency: current.f3 * s, bandwidth: 150, sampleRate: rate)
                    nasalHigh.tune(frequency: current.nasalF2 * s, bandwidth: 200, sampleRate: rate)
                    frication.tune(centre: current.noiseCentre * (0.6 + 0.4 * s), bandwidth: current.noiseBandwidth, sampleRate: rate)
                    let end = min(count, start + controlStep)
                    for n in start..<end {
                        // Amplitudes move linearly within the step, so no step is heard as a click.
                        let t = Float(n - start) / Float(controlStep)
                        let voicing = previous.voicing + (current.voicing - previous.voicing) * t
                        let aspiration = previous.aspiration + (current.aspiration - previous.aspiration) * t
                        let fric = previous.frication + (current.frication - previous.frication) * t
                        let nasal = previous.nasal + (current.nasal - previous.nasal) * t
                        let bar = previous.voiceBar + (current.voiceBar - previous.voiceBar) * t

                        let progress = min(1, max(0, Float(n - script.speechStart) / speechSpan))
                        let time = Float(n) / rate
                        let f0 = clipPitch * (1.1 - 0.2 * progress) * (1 + 0.025 * sinf(2 * Float.pi * 3.3 * time + wobblePhase))
                        phase += f0 / rate
                        if phase >= 1 { phase -= 1 }
                        let flow = glottalFlow(phase)
                        let pulse = (flow - lastFlow) * rate / f0 * 0.1
                        lastFlow = flow

                        let hiss = noise[n]
                        let source = pulse * voicing
                            + hiss * (aspiration + voicing * speaker.breathiness * 0.2)
                        var y = f3(f2(f1(source)))
                        y += nasalGain * nasal * (nasalLow(pulse) + 0.35 * nasalHigh(pulse))
                        y += bar * voiceBar(pulse)
                        y += fric * frication(hiss)
                        output[n] = y
                    }
                    start = end
                }
            }
        }
        return out
    }

    /// The glottal flow over one period (Rosenberg's pulse: opens over 40 %, closes over 20 %).
    @inline(__always)
    static func glottalFlow(_ phase: Float) -> Float {
        if phase < 0.4 { return 0.5 * (1 - cosf(Float.pi * phase / 0.4)) }
        if phase < 0.6 { return cosf(0.5 * Float.pi * (phase - 0.4) / 0.2) }
        return 0
    }

    /// One 2 ms step of first-order smoothing: formants glide slowly, amplitudes quickly.
    static func smoothed(_ x: SoundTarget, toward t: SoundTarget, formants a: Float, amplitudes b: Float) -> SoundTarget {
        var y = x
        y.f1 += (t.f1 - x.f1) * a
        y.f2 += (t.f2 - x.f2) * a
        y.f3 += (t.f3 - x.f3) * a
        y.nasalF2 += (t.nasalF2 - x.nasalF2) * a
        y.voicing += (t.voicing - x.voicing) * b
        y.aspiration += (t.aspiration - x.aspiration) * b
        y.frication += (t.frication - x.frication) * b
        y.nasal += (t.nasal - x.nasal) * b
        y.voiceBar += (t.voiceBar - x.voiceBar) * b
        // The noise band jumps: a burst's spectrum is its own, not a glide from the last one.
        y.noiseCentre = t.noiseCentre
        y.noiseBandwidth = t.noiseBandwidth
        return y
    }
}

private extension Double {
    var float: Float { Float(self) }
}
