// FFmpeg's av_tx real-to-complex FFT over one fixed length, in double precision, with its aligned
// buffers, turning a frame of real samples into its power (or magnitude) spectrum.
import CFFmpeg

/// A forward real FFT of `length` points. Owns its av_tx context and av_malloc'ed buffers.
/// Double precision keeps the weak bins beside strong ones within float64 rounding of the truth,
/// so parity with torchaudio is limited by torchaudio's own float32 error, not ours added to it.
final class RealFFT {
    let length: Int
    /// The `length` real inputs; callers fill it before `transform`.
    let input: UnsafeMutablePointer<Double>
    private let output: UnsafeMutablePointer<AVComplexDouble>
    private var context: OpaquePointer?
    private let function: av_tx_fn

    init(length: Int) throws(MediaError) {
        guard length >= 2, length % 2 == 0, length <= 1 << 20 else {
            throw .invalidArgument(name: "FFT length", reason: "must be even and in 2...\(1 << 20) (got \(length))")
        }
        var scale: Double = 1
        var context: OpaquePointer?
        var function: av_tx_fn?
        let made = av_tx_init(&context, &function, AV_TX_DOUBLE_RDFT, 0, Int32(length), &scale, 0)
        guard made >= 0, let function else {
            av_tx_uninit(&context)
            throw .invalidArgument(name: "FFT length", reason: "av_tx cannot do a real FFT of \(length) points: " + ffmpegMessage(made))
        }
        // av_malloc aligns to what the CPU's SIMD needs, as av_tx requires without AV_TX_UNALIGNED.
        guard let inRaw = av_mallocz(length * MemoryLayout<Double>.size + 64),
              let outRaw = av_mallocz((length / 2 + 1) * MemoryLayout<AVComplexDouble>.size + 64) else {
            av_tx_uninit(&context)
            throw .invalidArgument(name: "FFT length", reason: "out of memory")
        }
        self.length = length
        self.context = context
        self.function = function
        input = inRaw.bindMemory(to: Double.self, capacity: length)
        output = outRaw.bindMemory(to: AVComplexDouble.self, capacity: length / 2 + 1)
    }

    deinit {
        av_tx_uninit(&context)
        av_free(input)
        av_free(output)
    }

    /// Transforms `input` (which av_tx may overwrite) and writes the `length / 2 + 1` bins'
    /// |X|² (or |X| when `power` is false) to `spectrum`.
    func spectrum(into spectrum: UnsafeMutablePointer<Double>, power: Bool) {
        function(context, output, input, MemoryLayout<Double>.stride)
        let bins = length / 2 + 1
        let out = output
        if power {
            for k in 0..<bins { spectrum[k] = out[k].re * out[k].re + out[k].im * out[k].im }
        } else {
            for k in 0..<bins { spectrum[k] = (out[k].re * out[k].re + out[k].im * out[k].im).squareRoot() }
        }
    }
}
