// Round trips through the writer: FFV1 and PCM come back exactly, H.264 within a stated PSNR,
// frame counts and durations as written, the same bytes for the same input.
import DuetMedia
import Foundation
import Testing

@Suite struct WriterRoundTripTests {
    @Test func ffv1GrayComesBackExactly() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("gray.mkv")
        let settings = VideoStreamSettings(codec: .ffv1, width: 64, height: 48, frameRate: 25, input: .gray)
        let pictures = try TestMedia.write(path, video: settings, frames: 10)
        let reader = try MediaReader(path: path)
        let stream = try #require(reader.info.video)
        #expect(stream.codec == "ffv1" && stream.width == 64 && stream.height == 48)
        #expect(abs((stream.frameRate ?? 0) - 25) < 1e-9)
        #expect(abs((reader.info.duration ?? 0) - 0.4) < 1e-3)
        let clip = try reader.video(VideoOptions(pixelFormat: .gray))
        #expect(clip.shape == [10, 1, 48, 64])
        #expect(clip.values == pictures.flatMap { $0.map { Float($0) / 255 } })
        #expect(clip.timestamps.enumerated().allSatisfy { abs($0.element - Double($0.offset) * 0.04) < 1e-9 })
    }

    @Test func ffv1RGBComesBackExactlyAsPlanes() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("rgb.mkv")
        let settings = VideoStreamSettings(codec: .ffv1, width: 32, height: 24, frameRate: 10, input: .rgb)
        let pictures = try TestMedia.write(path, video: settings, frames: 3)
        let clip = try MediaReader(path: path).video(VideoOptions(pixelFormat: .rgb))
        #expect(clip.shape == [3, 3, 24, 32])
        #expect(clip.values == TestMedia.planar(pictures, channels: 3))
    }

    @Test func pcmWavDecodesToExactlyItsSamples() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("pcm.wav")
        let samples = (0..<8_000).map { Float(Int($0 * 37 % 65_536) - 32_768) / 32_768 }
        try TestMedia.write(path, video: nil, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: samples)
        let reader = try MediaReader(path: path)
        #expect(reader.info.audio?.sampleRate == 16_000 && reader.info.audio?.codec == "pcm_s16le")
        let clip = try reader.audio()
        #expect(clip.sampleRate == 16_000 && !clip.truncated)
        #expect(clip.samples == samples)
        let window = try reader.audio(window: TimeWindow(start: 0.125, duration: 0.1))
        #expect(window.samples == Array(samples[2_000..<3_600]))
        #expect(abs(window.startTime - 0.125) < 1e-9)
    }

    @Test func resampling8kTo16kKeepsFrequencyAndAmplitude() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("tone8k.wav")
        try TestMedia.write(path, video: nil, audio: AudioStreamSettings(codec: .pcmFloat, sampleRate: 8_000),
                            samples: TestMedia.tone(440, amplitude: 0.5, count: 8_000, rate: 8_000))
        let clip = try MediaReader(path: path).audio(sampleRate: 16_000)
        #expect(abs(clip.count - 16_000) <= 2)
        let middle = Array(clip.samples[2_000..<14_000])
        let peak = middle.map { abs($0) }.max() ?? 0
        #expect(abs(peak - 0.5) < 0.01, "peak \(peak)")
        var crossings = 0
        for i in 1..<middle.count where (middle[i - 1] < 0) != (middle[i] < 0) { crossings += 1 }
        let frequency = Double(crossings) / 2 / (Double(middle.count) / 16_000)
        #expect(abs(frequency - 440) < 1, "frequency \(frequency)")
        // Against the ideal 16 kHz tone, sample for sample.
        let ideal = TestMedia.tone(440, amplitude: 0.5, count: 16_000, rate: 16_000)
        var worst: Float = 0
        for i in 2_000..<14_000 { worst = max(worst, abs(clip.samples[i] - ideal[i])) }
        #expect(worst < 0.01, "worst \(worst)")
    }

    @Test(.enabled(if: VideoCodec.h264.isAvailable, "needs libx264"))
    func h264AndAACInMP4WithinPSNRAndDurations() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("clip.mp4")
        let video = VideoStreamSettings(codec: .h264, width: 64, height: 48, frameRate: 25, input: .gray, preset: "ultrafast")
        let audio = AudioStreamSettings(codec: .aac, sampleRate: 16_000)
        let tone = TestMedia.tone(300, count: 16_000, rate: 16_000)
        let pictures = try TestMedia.write(path, video: video, frames: 25, audio: audio, samples: tone)
        let reader = try MediaReader(path: path)
        #expect(reader.info.video?.codec == "h264" && reader.info.audio?.codec == "aac")
        #expect(reader.info.video?.frameCount == 25)
        let clip = try reader.video(VideoOptions(pixelFormat: .gray))
        #expect(clip.frameCount == 25)
        let psnr = TestMedia.psnr(clip.values, pictures.flatMap { $0.map { Float($0) / 255 } })
        #expect(psnr > 35, "PSNR \(psnr) dB")
        let sound = try reader.audio()
        #expect(abs(sound.duration - 1) < 0.03, "audio lasts \(sound.duration) s")
        #expect(!sound.truncated && !clip.truncated)
    }

    @Test func mpeg4InAVIDecodes() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("clip.avi")
        let video = VideoStreamSettings(codec: .mpeg4, width: 64, height: 48, frameRate: 25, input: .rgb)
        let pictures = try TestMedia.write(path, video: video, frames: 5)
        let clip = try MediaReader(path: path).video(VideoOptions(pixelFormat: .rgb))
        #expect(clip.frameCount == 5)
        let psnr = TestMedia.psnr(clip.values, TestMedia.planar(pictures, channels: 3))
        #expect(psnr > 25, "PSNR \(psnr) dB")
    }

    @Test(.enabled(if: VideoCodec.h264.isAvailable, "needs libx264"))
    func sameInputGivesSameBytes() throws {
        let scratch = try ScratchFolder()
        let video = VideoStreamSettings(codec: .h264, width: 32, height: 32, frameRate: 25, input: .gray, preset: "ultrafast")
        let audio = AudioStreamSettings(codec: .aac, sampleRate: 16_000)
        let tone = TestMedia.tone(200, count: 3_200, rate: 16_000)
        for name in ["a.mkv", "b.mkv"] {
            try TestMedia.write(scratch.path(name), video: video, frames: 5, audio: audio, samples: tone)
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: scratch.path("a.mkv")))
        let b = try Data(contentsOf: URL(fileURLWithPath: scratch.path("b.mkv")))
        #expect(a == b && !a.isEmpty)
    }

    @Test(.enabled(if: VideoCodec.h264.isAvailable, "needs libx264"))
    func writerRejectsWhatItCannotWrite() throws {
        let scratch = try ScratchFolder()
        #expect(throws: MediaError.self) {
            try MediaWriter(path: scratch.path("odd.mp4"), video: VideoStreamSettings(codec: .h264, width: 33, height: 32, frameRate: 25))
        }
        #expect(throws: MediaError.self) {
            try MediaWriter(path: scratch.path("x.unknownext"), audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000))
        }
        #expect(throws: MediaError.self) {
            try MediaWriter(path: scratch.path("huge.mkv"), video: VideoStreamSettings(codec: .ffv1, width: 100_000, height: 10, frameRate: 25))
        }
        let writer = try MediaWriter(path: scratch.path("ok.mkv"), video: VideoStreamSettings(codec: .ffv1, width: 8, height: 8, frameRate: 25, input: .gray))
        #expect(throws: MediaError.self) { try writer.appendFrame([UInt8](repeating: 0, count: 10)) }
        #expect(throws: MediaError.self) { try writer.appendAudio([0]) }
        try writer.finish()
    }
}
