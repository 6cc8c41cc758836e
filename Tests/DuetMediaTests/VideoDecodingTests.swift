// Video decoding: gray parity with the ffmpeg command line, frame sampling by timestamp, windows,
// resizing, normalisation and the aligned audio-visual clip.
import DuetMedia
import Foundation
import Testing

@Suite struct VideoDecodingTests {
    /// Data/ref_yuv420p.mp4 (64×48, 10 frames, H.264 4:2:0) and what ffmpeg 5.1 wrote for it:
    ///   ffmpeg -i ref_yuv420p.mp4 -f rawvideo -pix_fmt gray ref_yuv420p.gray
    ///   ffmpeg -i ref_yuv420p.mp4 -f rawvideo -pix_fmt gray -vf scale=32:24:flags=area ref_yuv420p_32x24_area.gray
    static func data(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/\(name)").path
    }

    static func bytes(_ name: String) throws -> [Float] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: data(name)))).map { Float($0) / 255 }
    }

    @Test func nativeGrayEqualsFFmpegGray() throws {
        let clip = try MediaReader(path: Self.data("ref_yuv420p.mp4")).video(VideoOptions(pixelFormat: .gray))
        #expect(clip.shape == [10, 1, 48, 64])
        #expect(clip.values == (try Self.bytes("ref_yuv420p.gray")))
    }

    @Test func areaResizedGrayEqualsFFmpegScaleFilter() throws {
        let options = VideoOptions(size: FrameSize(width: 32, height: 24), resize: .area, pixelFormat: .gray)
        let clip = try MediaReader(path: Self.data("ref_yuv420p.mp4")).video(options)
        #expect(clip.shape == [10, 1, 24, 32])
        let expected = try Self.bytes("ref_yuv420p_32x24_area.gray")
        let worst = zip(clip.values, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 1.0 / 255 + 1e-6, "worst \(worst * 255) levels")
    }

    /// A 25 fps FFV1 gray file of 20 frames and its pictures as floats.
    static func grayFile(_ scratch: ScratchFolder, frames: Int = 20) throws -> (String, [[Float]]) {
        let path = scratch.path("gray.mkv")
        let pictures = try TestMedia.write(path, video: VideoStreamSettings(codec: .ffv1, width: 16, height: 8, frameRate: 25, input: .gray), frames: frames)
        return (path, pictures.map { $0.map { Float($0) / 255 } })
    }

    @Test func lowerRateTakesTheFrameShowingAtEachTime() throws {
        let scratch = try ScratchFolder()
        let (path, pictures) = try Self.grayFile(scratch)
        let clip = try MediaReader(path: path).video(VideoOptions(frameRate: 12.5, pixelFormat: .gray),
                                                     window: TimeWindow(start: 0.08, duration: 0.24))
        #expect(clip.frameCount == 3)
        #expect(clip.values == pictures[2] + pictures[4] + pictures[6])
        #expect(zip(clip.timestamps, [0.08, 0.16, 0.24]).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test func higherRateRepeatsFrames() throws {
        let scratch = try ScratchFolder()
        let (path, pictures) = try Self.grayFile(scratch, frames: 4)
        let clip = try MediaReader(path: path).video(VideoOptions(frameRate: 50, pixelFormat: .gray))
        #expect(clip.frameCount == 8)
        #expect(clip.values == pictures.flatMap { $0 + $0 })
    }

    @Test func nativeRateWindowSeeksAndKeepsTimestamps() throws {
        let scratch = try ScratchFolder()
        let (path, pictures) = try Self.grayFile(scratch)
        let reader = try MediaReader(path: path)
        let all = try reader.video(VideoOptions(pixelFormat: .gray))
        #expect(all.frameCount == 20)
        let window = try reader.video(VideoOptions(pixelFormat: .gray), window: TimeWindow(start: 0.4, duration: 0.2))
        #expect(window.frameCount == 5)
        #expect(window.values == pictures[10..<15].flatMap { $0 })
        #expect(abs(window.startTime - 0.4) < 1e-9)
        // Reading from the start again after a window seeks back.
        #expect(try reader.video(VideoOptions(pixelFormat: .gray)).values == all.values)
    }

    @Test func normalisationIsPerChannelMeanAndStd() throws {
        let scratch = try ScratchFolder()
        let (path, pictures) = try Self.grayFile(scratch, frames: 2)
        let clip = try MediaReader(path: path).video(VideoOptions(pixelFormat: .gray, normalization: .lipReading))
        let expected = pictures.flatMap { $0 }.map { ($0 - 0.421) / 0.165 }
        #expect(zip(clip.values, expected).allSatisfy { abs($0 - $1) < 1e-5 })
        let rgb = try MediaReader(path: path).video(VideoOptions(pixelFormat: .rgb, normalization: .imageNet))
        #expect(rgb.shape == [2, 3, 8, 16])
        #expect(abs(rgb.values[16 * 8] - (pictures[0][0] - 0.456) / 0.224) < 1e-5)
    }

    @Test func resizeGivesTheRequestedShape() throws {
        let scratch = try ScratchFolder()
        let (path, _) = try Self.grayFile(scratch, frames: 3)
        for filter in ResizeFilter.allCases {
            let clip = try MediaReader(path: path).video(VideoOptions(size: FrameSize(width: 8, height: 6), resize: filter, pixelFormat: .rgb))
            #expect(clip.shape == [3, 3, 6, 8])
            #expect(clip.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }

    @Test func alignedClipCoversTheSameWindow() throws {
        let scratch = try ScratchFolder()
        let path = scratch.path("av.mkv")
        let tone = (0..<16_000).map { Float($0 % 160) / 32_768 }
        try TestMedia.write(path, video: VideoStreamSettings(codec: .ffv1, width: 16, height: 8, frameRate: 25, input: .gray),
                            frames: 25, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: tone)
        let clip = try MediaReader(path: path).clip(window: TimeWindow(start: 0.2, duration: 0.4), sampleRate: 16_000,
                                                    video: VideoOptions(pixelFormat: .gray))
        #expect(clip.video.frameCount == 10)
        #expect(clip.audio.count == 6_400)
        #expect(clip.audio.samples == Array(tone[3_200..<9_600]))
        #expect(abs(clip.audio.startTime - clip.video.startTime) < 1e-9)
        let whole = try MediaReader(path: path).clip(sampleRate: 8_000, video: VideoOptions(frameRate: 5, pixelFormat: .gray))
        #expect(whole.video.frameCount == 5 && whole.audio.count == 8_000)
    }
}
