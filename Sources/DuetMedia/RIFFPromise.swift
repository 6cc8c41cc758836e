// How long a WAV file's header says its audio is. FFmpeg stops trusting the `data` chunk's size
// when the file is shorter than it, which is exactly the cut-short file we must report.
import Foundation

enum RIFFPromise {
    /// Bytes of sample data the header's `data` chunk declares, or nil when the file is not RIFF
    /// WAVE, has no `data` chunk in its first 64 KiB, or declares a streaming placeholder size.
    static func declaredDataBytes(path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 65_536), head.count >= 12 else { return nil }
        let bytes = [UInt8](head)
        guard bytes[0..<4] == [0x52, 0x49, 0x46, 0x46][...], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45][...] else { return nil }
        var offset = 12
        while offset + 8 <= bytes.count {
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            if bytes[offset..<offset + 4] == [0x64, 0x61, 0x74, 0x61][...] {  // "data"
                return size == 0 || size == 0xFFFF_FFFF ? nil : size
            }
            offset += 8 + size + (size & 1)
        }
        return nil
    }
}

extension MediaReader {
    /// The end a WAV header promises for stream `index`, from its `data` chunk and block size.
    func riffPromisedEnd(ofStream index: Int) -> Double? {
        guard info.format == "wav", let bytes = RIFFPromise.declaredDataBytes(path: path) else { return nil }
        let parameters = file.stream(index).pointee.codecpar.pointee
        guard parameters.block_align > 0, parameters.sample_rate > 0 else { return nil }
        return Double(bytes / Int(parameters.block_align)) / Double(parameters.sample_rate)
    }
}
