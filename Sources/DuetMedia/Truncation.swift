// Telling a file cut short from a complete one: the header's promised end (duration, WAV data
// size), the demuxer's index pointing past the end of the file, or a read error part-way.
import CFFmpeg

extension MediaFile {
    /// The time of the earliest packet the container's index (MP4 `moov`, AVI `idx1`, ...) places
    /// beyond the end of the file: past it, the file cannot deliver what its header lists.
    func firstMissingTime(ofStream index: Int) -> Double? {
        let s = stream(index)
        let entries = avformat_index_get_entries_count(s)
        guard entries > 0, let io = context.pointee.pb else { return nil }
        let size = avio_size(io)
        guard size > 0 else { return nil }
        var earliest = Int64.max
        for i in 0..<entries {
            guard let entry = avformat_index_get_entry(s, i) else { continue }
            if entry.pointee.pos + Int64(entry.pointee.size) > size { earliest = min(earliest, entry.pointee.timestamp) }
        }
        return earliest == .max ? nil : Double(earliest) * seconds(s.pointee.time_base)
    }
}

extension MediaReader {
    /// Whether a decode that reached `decodedEnd` stopped short of what the file promises for the
    /// window (within `slack` seconds); throws `.truncated` instead when `requireComplete`.
    func isIncomplete(stream index: Int, decodedEnd: Double, windowEnd: Double?, readError: String?,
                      slack: Double, requireComplete: Bool) throws(MediaError) -> Bool {
        let expected = [promisedEnd(ofStream: index), windowEnd].compactMap { $0 }.min()
        var short = expected.map { decodedEnd < $0 - slack } ?? false
        if let missing = file.firstMissingTime(ofStream: index), missing < (expected ?? .infinity) - slack { short = true }
        guard short || readError != nil else { return false }
        if requireComplete { throw .truncated(file: path, expectedEnd: expected ?? decodedEnd, decodedEnd: decodedEnd) }
        return true
    }
}
