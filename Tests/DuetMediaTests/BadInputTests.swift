// Bad input never crashes, hangs or leaks: each case is a thrown MediaError that names the file
// and the reason, or (for a file cut short) the part that is there, marked truncated.
import DuetMedia
import Foundation
import Testing

@Suite struct BadInputTests {
    /// Runs every read a loader might do and returns the error, which must name `path`.
    static func failure(_ path: String, _ read: (MediaReader) throws -> Void = { _ = try $0.audio() }) -> MediaError? {
        do {
            try read(try MediaReader(path: path))
            return nil
        } catch let error as MediaError {
            #expect(error.description.contains(path), "\(error) does not name the file")
            return error
        } catch {
            Issue.record("\(path): not a MediaError: \(error)")
            return nil
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A 1 s FFV1 + PCM Matroska file and a 1 s PCM WAV, the material the cuts are made from.
    static func goodFiles(_ scratch: ScratchFolder) throws -> [String] {
        let tone = TestMedia.tone(440, count: 16_000, rate: 16_000)
        let mkv = scratch.path("good.mkv"), wav = scratch.path("good.wav"), mp4 = scratch.path("good.mp4")
        try TestMedia.write(mkv, video: VideoStreamSettings(codec: .ffv1, width: 16, height: 16, frameRate: 25, input: .gray),
                            frames: 25, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: tone)
        try TestMedia.write(wav, video: nil, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: tone)
        // H.264 where this FFmpeg has libx264, MPEG-4 Part 2 otherwise: both in MP4 with AAC.
        let codec: VideoCodec = VideoCodec.h264.isAvailable ? .h264 : .mpeg4
        try TestMedia.write(mp4, video: VideoStreamSettings(codec: codec, width: 32, height: 32, frameRate: 25, input: .gray),
                            frames: 25, audio: AudioStreamSettings(codec: .aac, sampleRate: 16_000), samples: tone)
        return [mkv, wav, mp4]
    }

    @Test func missingDirectoryAndEmptyFilesSayWhich() throws {
        let scratch = try ScratchFolder()
        #expect(Self.failure(scratch.path("missing.wav")) == .notFound(file: scratch.path("missing.wav")))
        #expect(Self.failure(scratch.url.path) == .notAFile(file: scratch.url.path))
        let empty = scratch.path("empty.mp4")
        try Self.write([], to: empty)
        #expect(Self.failure(empty) == .emptyFile(file: empty))
    }

    @Test func randomBytesAndTextAreNotMedia() throws {
        let scratch = try ScratchFolder()
        let random = MediaRandom(seed: 3)
        for (i, size) in [16, 4_096, 100_000].enumerated() {
            let path = scratch.path("random\(i).mkv")
            try Self.write((0..<size).map { UInt8(truncatingIfNeeded: random.bits(i * 1_000_000 + $0)) }, to: path)
            #expect(Self.failure(path) != nil)
            #expect(Self.failure(path) { _ = try $0.video() } != nil)
        }
        for name in ["notes.txt", "notes.wav", "notes.mp4"] {
            let path = scratch.path(name)
            try Data(String(repeating: "This is a text file, not a recording.\n", count: 50).utf8).write(to: URL(fileURLWithPath: path))
            #expect(Self.failure(path) != nil, "\(path)")
            #expect(Self.failure(path) { _ = try $0.video() } != nil, "\(path)")
        }
    }

    @Test func zeroedHeaderIsUnreadable() throws {
        let scratch = try ScratchFolder()
        for good in try Self.goodFiles(scratch) {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
            for i in 0..<min(1_024, bytes.count) { bytes[i] = 0 }
            let path = good + ".zeroed" + (good as NSString).pathExtension
            try Self.write(bytes, to: path)
            // Either refused outright, or whatever FFmpeg salvages is reported as incomplete.
            do throws(MediaError) {
                let clip = try MediaReader(path: path).audio()
                let incomplete = clip.truncated || clip.corruptPackets > 0 || clip.count < 16_000
                #expect(incomplete, "\(path) read as if whole")
            } catch {
                #expect(error.file == path)
            }
        }
    }

    /// Cut at 10 %, 50 % and 90 %: Duet decodes what is there and marks the clip truncated (or
    /// fails with a MediaError when too little is left to open), and `requireComplete` turns the
    /// mark into an error.
    @Test func truncatedFilesDecodeWhatIsThereAndSaySo() throws {
        let scratch = try ScratchFolder()
        for good in try Self.goodFiles(scratch) {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
            for fraction in [0.1, 0.5, 0.9] {
                let path = scratch.path("cut\(Int(fraction * 100))." + (good as NSString).pathExtension)
                try Self.write(Array(bytes[0..<Int(Double(bytes.count) * fraction)]), to: path)
                do throws(MediaError) {
                    let reader = try MediaReader(path: path)
                    let clip = try reader.audio()
                    let (truncated, count) = (clip.truncated, clip.count)
                    #expect(truncated, "\(path): \(count) samples not marked truncated")
                    #expect(count < 16_000)
                    #expect(throws: MediaError.self) { try reader.audio(requireComplete: true) }
                    if reader.info.video != nil {
                        let video = try? reader.video(VideoOptions(pixelFormat: .gray))
                        let marked = video.map { $0.truncated && $0.frameCount < 25 } ?? true
                        #expect(marked, "\(path): \(video?.frameCount ?? 0) frames")
                    }
                } catch {
                    #expect(error.file == path, "\(error)")
                }
            }
        }
    }

    @Test func flippedBytesNeverCrash() throws {
        let scratch = try ScratchFolder()
        let random = MediaRandom(seed: 11)
        for (f, good) in try Self.goodFiles(scratch).enumerated() {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
            for variant in 0..<8 {
                var damaged = bytes
                for k in 0..<16 {
                    let draw = (f * 100 + variant) * 100 + k
                    damaged[random.integer(draw, below: damaged.count)] = UInt8(truncatingIfNeeded: random.bits(draw + 50))
                }
                let path = scratch.path("flipped\(f)-\(variant)." + (good as NSString).pathExtension)
                try Self.write(damaged, to: path)
                if let reader = try? MediaReader(path: path) {
                    _ = try? reader.audio(sampleRate: 8_000)
                    _ = try? reader.video(VideoOptions(size: FrameSize(width: 8, height: 8), pixelFormat: .gray))
                    _ = try? reader.clip(window: TimeWindow(start: 0.3, duration: 0.2))
                }
            }
        }
    }

    @Test func missingAudioStreamAndEmptyStream() throws {
        let scratch = try ScratchFolder()
        let silent = scratch.path("silent.mkv")
        try TestMedia.write(silent, video: VideoStreamSettings(codec: .ffv1, width: 8, height: 8, frameRate: 25, input: .gray), frames: 3)
        #expect(Self.failure(silent) == .noStream(file: silent, kind: .audio))
        #expect(Self.failure(silent) { _ = try $0.clip() } == .noStream(file: silent, kind: .audio))
        let empty = scratch.path("emptystream.mkv")
        try TestMedia.write(empty, video: nil, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: [])
        // Matroska with a stream but no packet ends before FFmpeg finds its first packet.
        let emptyFailure = Self.failure(empty)
        #expect(["no-data", "unreadable"].contains(emptyFailure?.reasonCode ?? ""), "\(String(describing: emptyFailure))")
        let emptyWav = scratch.path("emptystream.wav")
        try TestMedia.write(emptyWav, video: nil, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: [])
        #expect(Self.failure(emptyWav)?.reasonCode == "no-data")
        let noVideo = scratch.path("novideo.wav")
        try TestMedia.write(noVideo, video: nil, audio: AudioStreamSettings(codec: .pcm16, sampleRate: 16_000), samples: [0, 0, 0])
        #expect(Self.failure(noVideo) { _ = try $0.video() } == .noStream(file: noVideo, kind: .video))
    }

    @Test func absurdRequestsAreRejectedBeforeDecoding() throws {
        let scratch = try ScratchFolder()
        let path = try Self.goodFiles(scratch)[0]
        let reader = try MediaReader(path: path)
        for rate in [0, -16_000, 1_000_000_000] {
            #expect(throws: MediaError.self) { try reader.audio(sampleRate: rate) }
        }
        for window in [TimeWindow(start: -1), TimeWindow(start: .nan), TimeWindow(start: 0, duration: 0), TimeWindow(start: 0, duration: .infinity)] {
            #expect(throws: MediaError.self) { try reader.audio(window: window) }
            #expect(throws: MediaError.self) { try reader.video(window: window) }
        }
        for size in [FrameSize(width: 0, height: 10), FrameSize(width: 100_000, height: 100_000), FrameSize(width: -4, height: 4)] {
            #expect(throws: MediaError.self) { try reader.video(VideoOptions(size: size)) }
        }
        for fps in [0, -25, 1e9, .nan] {
            #expect(throws: MediaError.self) { try reader.video(VideoOptions(frameRate: fps)) }
        }
        // Valid one by one, too large together: 8192² RGB at 1000 fps for a minute.
        #expect(throws: MediaError.self) {
            try reader.video(VideoOptions(frameRate: 1_000, size: FrameSize(width: 8_192, height: 8_192)), window: TimeWindow(start: 0, duration: 60))
        }
        #expect(throws: MediaError.self) { try reader.video(VideoOptions(normalization: PixelNormalization(mean: [0], std: [0]))) }
        // A window past the end is no data, not a crash or an empty clip.
        #expect(throws: MediaError.self) { try reader.audio(window: TimeWindow(start: 50, duration: 1)) }
        #expect(throws: MediaError.self) { try reader.video(window: TimeWindow(start: 50, duration: 1)) }
    }
}
