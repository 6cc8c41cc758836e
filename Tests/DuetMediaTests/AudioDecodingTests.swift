// Audio decoding beyond the round trips: channel averaging, probing, fbank from a decoded clip,
// and FFmpeg's log staying quiet unless asked.
import DuetMedia
import Foundation
import Testing

@Suite struct AudioDecodingTests {
    @Test func stereoIsAveragedToMono() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("stereo.wav")
        let left = TestMedia.tone(300, amplitude: 0.4, count: 4_000, rate: 16_000)
        let right = TestMedia.tone(700, amplitude: 0.2, count: 4_000, rate: 16_000)
        let interleaved = zip(left, right).flatMap { [$0, $1] }
        try TestMedia.write(path, video: nil, audio: AudioStreamSettings(codec: .pcmFloat, sampleRate: 16_000, channels: 2), samples: interleaved)
        let reader = try MediaReader(path: path)
        #expect(reader.info.audio?.channels == 2)
        let clip = try reader.audio()
        #expect(clip.count == 4_000)
        let worst = zip(clip.samples, zip(left, right).map { ($0 + $1) / 2 }).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-6)
    }

    @Test func probeReportsRatesDurationsAndCounts() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("probe.mkv")
        try TestMedia.write(path, video: VideoStreamSettings(codec: .ffv1, width: 16, height: 8, frameRate: 30, input: .rgb), frames: 15,
                            audio: AudioStreamSettings(codec: .pcm16, sampleRate: 22_050), samples: [Float](repeating: 0, count: 11_025))
        let info = try MediaReader.probe(path)
        #expect(info.format.contains("matroska"))
        #expect(abs((info.duration ?? 0) - 0.5) < 0.01)
        let video = try #require(info.video), audio = try #require(info.audio)
        #expect(video.width == 16 && video.height == 8 && abs((video.frameRate ?? 0) - 30) < 1e-6 && video.frameCount == 15)
        #expect(audio.sampleRate == 22_050 && audio.channels == 1 && audio.codec == "pcm_s16le")
    }

    @Test func fbankOfADecodedClipChecksTheRate() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("speech.wav")
        try TestMedia.write(path, video: nil, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 8_000),
                            samples: TestMedia.tone(500, count: 8_000, rate: 8_000))
        let reader = try MediaReader(path: path)
        let fbank = try KaldiFbank(.audioMAE)
        #expect(throws: MediaError.self) { try fbank(try reader.audio()) }
        let bank = try fbank(try reader.audio(sampleRate: 16_000))
        #expect(bank.shape == [98, 128])
        // The 500 Hz tone's energy peaks in the mel bin around 500 Hz, not at the edges.
        let row = Array(bank.values[(50 * 128)..<(51 * 128)])
        let peak = row.indices.max { row[$0] < row[$1] } ?? 0
        #expect(peak > 5 && peak < 40, "peak bin \(peak)")
    }

    @Test func ffmpegLogIsQuietByDefault() {
        if ProcessInfo.processInfo.environment["DUET_FFMPEG_LOG"] == nil {
            #expect(MediaLog.level == .quiet)
        }
    }
}
