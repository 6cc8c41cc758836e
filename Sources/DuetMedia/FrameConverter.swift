// Turns one decoded picture into normalised planar floats: swscale to 8-bit gray or RGB at the
// output size, then a per-channel lookup table into the [C, H, W] slot.
import CFFmpeg

final class FrameConverter {
    let file: String
    let size: FrameSize
    let format: PixelFormat
    let resize: ResizeFilter
    private let scaler: FrameScaler
    private var pixels: [UInt8]
    /// tables[c][v] = (v/255 − mean[c]) / std[c], flattened to 256·C floats.
    private let tables: [Float]

    var frameSize: Int { format.channels * size.width * size.height }

    init(file: String, size: FrameSize, format: PixelFormat, resize: ResizeFilter, normalization: PixelNormalization) throws(MediaError) {
        self.file = file
        self.size = size
        self.format = format
        self.resize = resize
        scaler = FrameScaler(file: file)
        pixels = [UInt8](repeating: 0, count: size.width * size.height * format.channels)
        tables = try normalization.tables(channels: format.channels).flatMap { $0 }
    }

    /// Appends `frame`'s C×H×W floats to `values`.
    func append(_ frame: UnsafeMutablePointer<AVFrame>, to values: inout [Float]) throws(MediaError) {
        let f = frame.pointee
        guard f.width > 0, f.height > 0, f.format >= 0 else {
            throw .decodeFailed(file: file, reason: "the decoder returned a picture without a size or format")
        }
        let channels = format.channels, width = size.width, height = size.height
        try pixels.withUnsafeMutableBufferPointer { (out) throws(MediaError) in
            // Four destination planes and strides, as swscale reads them; the unused ones nil and 0.
            var target: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress, nil, nil, nil]
            var stride: [Int32] = [Int32(width * channels), 0, 0, 0]
            try withPlanes(of: frame) { (planes, strides) throws(MediaError) in
                let source = UnsafeRawPointer(planes).assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
                try scaler.scale(from: AVPixelFormat(f.format), width: Int(f.width), height: Int(f.height),
                                 planes: source, strides: strides, to: format.ffmpeg, width: width, height: height,
                                 planes: &target, strides: &stride, filter: resize)
            }
        }
        let plane = width * height
        let start = values.count
        values.append(contentsOf: repeatElement(0, count: plane * channels))
        values.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { input in
                tables.withUnsafeBufferPointer { lookup in
                    let o = out.baseAddress! + start, p = input.baseAddress!, t = lookup.baseAddress!
                    for c in 0..<channels {
                        let table = t + 256 * c, row = o + c * plane
                        for i in 0..<plane { row[i] = table[Int(p[i * channels + c])] }
                    }
                }
            }
        }
    }
}
