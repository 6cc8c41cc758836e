// `duet media frames` and `duet media fbank`: decode a file as a training run would and write
// the result to safetensors, to compare with a Python pipeline.
import ArgumentParser
import DuetMedia
import DuetTensor
import Foundation

/// The window options both exports take.
struct MediaWindow: ParsableArguments {
    @Option(help: "Start of the window in seconds.")
    var start: Double = 0

    @Option(help: "Length of the window in seconds (default: to the end).")
    var duration: Double?

    var window: TimeWindow { TimeWindow(start: start, duration: duration) }
}

/// Writes named [Float] buffers with their shapes to a safetensors file.
func writeSafeTensors(_ entries: [String: ([Float], [Int])], metadata: [String: String], to path: String) throws {
    var tensors: [String: Tensor] = [:]
    for (name, (values, shape)) in entries { tensors[name] = Tensor(shape: shape, scalars: values) }
    try SafeTensorsWriter.write(tensors, metadata: metadata, to: URL(fileURLWithPath: path))
}

struct MediaFrames: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Decode video frames to a [T, C, H, W] Float32 tensor `frames` (plus `timestamps`) in safetensors.",
        discussion: "Example: duet media frames talk.mp4 --fps 25 --size 96 --gray --start 1 --duration 2 --out frames.safetensors")

    @OptionGroup var common: MediaCommon
    @OptionGroup var window: MediaWindow

    @Option(help: "Frames per second to sample at, by timestamp (default: every decoded frame).")
    var fps: Double?

    @Option(help: "Output size: N for N×N, or WxH (default: the stream's own).")
    var size: String?

    @Flag(help: "One gray channel instead of RGB.")
    var gray = false

    @Option(help: "Resize filter: area, bilinear or bicubic.")
    var resize: String = "area"

    @Option(help: "Crop the centre to N or WxH after resizing.")
    var centerCrop: String?

    @Option(help: "Per-channel mean and std for (x/255 − mean)/std, e.g. 0.421,0.165 or imagenet.")
    var normalize: String?

    @Option(help: "The safetensors file to write.")
    var out: String

    func run() throws {
        common.prepare()
        guard let filter = ResizeFilter(rawValue: resize) else { throw ValidationError("--resize must be area, bilinear or bicubic (got \(resize))") }
        var options = VideoOptions(frameRate: fps, size: try size.map(parseSize), resize: filter, pixelFormat: gray ? .gray : .rgb)
        if let normalize { options.normalization = try parseNormalization(normalize) }
        var clip = try MediaReader(path: common.file).video(options, window: window.window)
        if let centerCrop {
            let crop = try parseSize(centerCrop)
            clip = try clip.centerCropped(width: crop.width, height: crop.height)
        }
        try writeSafeTensors(["frames": (clip.values, clip.shape), "timestamps": (clip.timestamps.map { Float($0) }, [clip.frameCount])],
                             metadata: ["file": common.file, "fps": String(clip.frameRate), "pixel_format": options.pixelFormat.rawValue,
                                        "layout": "T,C,H,W", "truncated": String(clip.truncated)],
                             to: out)
        print("\(out): frames \(clip.shape.map(String.init).joined(separator: "×")) at \(clip.frameRate) fps" + (clip.truncated ? " (file truncated)" : ""))
    }

    private func parseSize(_ text: String) throws -> FrameSize {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 1 || parts.count == 2 else { throw ValidationError("a size is N or WxH (got \(text))") }
        return FrameSize(width: parts[0], height: parts.count == 2 ? parts[1] : parts[0])
    }

    private func parseNormalization(_ text: String) throws -> PixelNormalization {
        switch text.lowercased() {
        case "imagenet": return .imageNet
        case "lip", "lipreading": return .lipReading
        default:
            let numbers = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == 2 || numbers.count == 6 else {
                throw ValidationError("--normalize takes mean,std (gray), mean×3,std×3 (RGB), imagenet or lip (got \(text))")
            }
            let half = numbers.count / 2
            return PixelNormalization(mean: Array(numbers[..<half]), std: Array(numbers[half...]))
        }
    }
}

struct MediaFbank: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fbank",
        abstract: "Kaldi filterbank of a file's audio (torchaudio.compliance.kaldi.fbank) as `fbank` [frames, mels] in safetensors.",
        discussion: """
            Defaults follow AudioMAE / MAViL: 16 kHz, 128 mels, 25 ms / 10 ms, Hanning, HTK-compatible, no dither. \
            With --sample-rate equal to the file's own rate no resampling happens.
            Example: duet media fbank speech.wav --mels 128 --out fbank.safetensors
            """)

    @OptionGroup var common: MediaCommon
    @OptionGroup var window: MediaWindow

    @Option(help: "Resample to this rate (Hz) first.")
    var sampleRate = 16_000

    @Option(help: "Mel bins.")
    var mels = 128

    @Option(help: "Frame length in milliseconds.")
    var frameLength: Double = 25

    @Option(help: "Frame shift in milliseconds.")
    var frameShift: Double = 10

    @Option(help: "Window: hanning, povey, hamming, rectangular or blackman.")
    var windowType = "hanning"

    @Flag(help: "Scale samples by 32768 first (Kaldi's int16 convention, BEATs) instead of [-1, 1] (AudioMAE).")
    var int16Scale = false

    @Flag(help: "Apply AudioSet's (x − mean)/(2·std) normalisation (AudioMAE).")
    var normalize = false

    @Option(help: "The safetensors file to write.")
    var out: String

    func run() throws {
        common.prepare()
        guard let kind = KaldiWindow(rawValue: windowType) else {
            throw ValidationError("--window-type must be one of \(KaldiWindow.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options = KaldiFbankOptions.audioMAE
        options.sampleRate = Double(sampleRate)
        options.melBins = mels
        options.frameLength = frameLength
        options.frameShift = frameShift
        options.window = kind
        options.inputScale = int16Scale ? 32_768 : 1
        let audio = try MediaReader(path: common.file).audio(sampleRate: sampleRate, window: window.window)
        var bank = try KaldiFbank(options)(audio)
        if normalize { FbankNormalization.audioSet.apply(&bank) }
        try writeSafeTensors(["fbank": (bank.values, bank.shape)],
                             metadata: ["file": common.file, "sample_rate": String(sampleRate), "num_mel_bins": String(mels),
                                        "frame_length": String(frameLength), "frame_shift": String(frameShift),
                                        "window_type": windowType, "scale": int16Scale ? "32768" : "1",
                                        "truncated": String(audio.truncated)],
                             to: out)
        print("\(out): fbank \(bank.frameCount)×\(bank.binCount) from \(String(format: "%.3f", audio.duration)) s at \(sampleRate) Hz"
              + (audio.truncated ? " (file truncated)" : ""))
    }
}
