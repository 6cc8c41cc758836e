// The ranges a request must fall in: they turn an absurd size or rate (a typo, a unit mix-up)
// into a clear error before any memory is asked for.

enum MediaLimits {
    static let sampleRates = 1_000...768_000
    static let frameSide = 1...8_192
    static let frameRate: ClosedRange<Double> = 0.001...1_000
    /// 1 GiB of Float32 in one decoded buffer.
    static let outputFloats = 1 << 28

    static func checkSampleRate(_ rate: Int) throws(MediaError) {
        guard sampleRates.contains(rate) else {
            throw .invalidArgument(name: "sample rate", reason: "must be in \(sampleRates.lowerBound)...\(sampleRates.upperBound) Hz (got \(rate))")
        }
    }

    static func checkFrameRate(_ rate: Double) throws(MediaError) {
        guard rate.isFinite, frameRate.contains(rate) else {
            throw .invalidArgument(name: "frame rate", reason: "must be in (0, \(Int(frameRate.upperBound))] frames per second (got \(rate))")
        }
    }

    static func checkSize(width: Int, height: Int) throws(MediaError) {
        guard frameSide.contains(width), frameSide.contains(height) else {
            throw .invalidArgument(name: "frame size", reason: "width and height must be in 1...\(frameSide.upperBound) (got \(width)×\(height))")
        }
    }

    /// Throws when `count` floats would exceed the per-buffer limit.
    static func checkOutput(_ count: Double, what: String) throws(MediaError) {
        guard count <= Double(outputFloats) else {
            throw .invalidArgument(name: what, reason: "would need \(Int(count)) floats, over the limit of \(outputFloats); ask for a shorter window, a lower rate or a smaller size")
        }
    }
}
