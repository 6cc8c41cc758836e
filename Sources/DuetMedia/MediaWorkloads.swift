// W4 and W5 of the benchmark workloads (shared/bench/WORKLOADS.md), set up here so `duet bench`
// only times them: a 60 s filterbank, and decoding a 10 s 224² H.264 + AAC clip for training.
import Foundation

/// One benchmark step and how much media it processes.
public struct MediaWorkload {
    public let name: String
    /// What `units` counts ("s of audio", "clips").
    public let unit: String
    /// Units processed by one step.
    public let units: Double
    public let step: () throws(MediaError) -> Void
}

public enum MediaWorkloads {
    /// W4: 60 s of 16 kHz noise (σ = 0.1 of full scale, int16-scaled as Kaldi expects) to a
    /// 128-mel Kaldi filterbank, 25 ms / 10 ms, Hanning: torchaudio's call in AudioMAE.
    public static func fbank(seconds: Int = 60) throws(MediaError) -> MediaWorkload {
        var options = KaldiFbankOptions.audioMAE
        options.inputScale = 32_768
        let fbank = try KaldiFbank(options)
        let noise = MediaRandom(seed: 0, 4)
        let samples = (0..<(16_000 * seconds)).map { noise.normal($0) * 0.1 }
        return MediaWorkload(name: "W4 fbank \(seconds) s 16 kHz 128 mels", unit: "s of audio", units: Double(seconds)) {
            _ = fbank(samples)
        }
    }

    /// W5: a 10 s, 25 fps, 224×224 H.264 + 16 kHz AAC clip (written to `folder` once, by Duet's
    /// writer) decoded to every frame as 96×96 gray cropped to 88×88, and 16 kHz mono audio.
    public static func decodeClip(folder: String) throws(MediaError) -> MediaWorkload {
        let path = (folder as NSString).appendingPathComponent("duet_w5_clip.mp4")
        if (try? MediaReader(path: path).info.video?.frameCount) != 250 { try writeClip(path) }
        let options = VideoOptions(size: FrameSize(width: 96, height: 96), pixelFormat: .gray)
        return MediaWorkload(name: "W5 decode 10 s 224² H.264+AAC → 88² gray + 16 kHz", unit: "clips", units: 1) { () throws(MediaError) in
            let reader = try MediaReader(path: path)
            _ = try reader.video(options).centerCropped(width: 88, height: 88)
            _ = try reader.audio(sampleRate: 16_000)
        }
    }

    /// Moving colour gradients with a bright square, and a 440 Hz tone: about as busy as
    /// ffmpeg's testsrc2, which the PyAV reference decodes.
    private static func writeClip(_ path: String) throws(MediaError) {
        let side = 224
        let writer = try MediaWriter(path: path, video: VideoStreamSettings(codec: .h264, width: side, height: side, frameRate: 25, quality: 23),
                                     audio: AudioStreamSettings(codec: .aac, sampleRate: 16_000))
        var picture = [UInt8](repeating: 0, count: side * side * 3)
        for t in 0..<250 {
            for y in 0..<side {
                for x in 0..<side {
                    let square = (x - 3 * t) & 255 < 48 && (y + t) & 127 < 48
                    for c in 0..<3 {
                        picture[(y * side + x) * 3 + c] = square ? 235 : UInt8((x * (c + 1) + y * (3 - c) + t * 4) & 255)
                    }
                }
            }
            try writer.appendFrame(picture)
            try writer.appendAudio((0..<640).map { Float(0.5 * sin(2 * Double.pi * 440 * Double(t * 640 + $0) / 16_000)) })
        }
        try writer.finish()
    }
}
