// The counter-based generator behind dither and augmentations: SplitMix64 keyed by a seed and
// counters (step, rank, sample, ...), so a draw depends only on those numbers, never on order.
import Foundation

/// A stream of random numbers where draw `i` is a pure function of (key, i). DuetMedia keeps its
/// own small generator because it does not depend on DuetTensor.
public struct MediaRandom: Sendable, Hashable {
    public let key: UInt64

    /// A stream keyed by a seed and any counters: `MediaRandom(seed: 7, 12, 0, 31)` for
    /// (seed 7, step 12, rank 0, sample 31).
    public init(seed: UInt64, _ counters: UInt64...) {
        var k = mix(seed ^ 0x6A09_E667_F3BC_C909)
        for c in counters { k = mix(k ^ mix(c &+ 0x9E37_79B9_7F4A_7C15)) }
        key = k
    }

    private init(key: UInt64) { self.key = key }

    /// A sub-stream for one purpose (a crop, a flip, a mask), independent of the others.
    public func derived(_ purpose: UInt64) -> MediaRandom { MediaRandom(key: mix(key ^ mix(purpose &+ 0xBB67_AE85_84CA_A73B))) }

    /// 64 random bits for draw `index`.
    @inline(__always)
    public func bits(_ index: Int) -> UInt64 { mix(key &+ UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15) }

    /// A uniform Float in [0, 1).
    @inline(__always)
    public func uniform(_ index: Int) -> Float { Float(bits(index) >> 40) * (1.0 / 16_777_216.0) }

    /// A uniform integer in 0..<bound (0 when bound ≤ 1).
    public func integer(_ index: Int, below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        return Int(bits(index).multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform integer in `range`.
    public func integer(_ index: Int, in range: ClosedRange<Int>) -> Int {
        range.lowerBound + integer(index, below: range.count)
    }

    /// A standard normal (Box–Muller on one 64-bit draw).
    public func normal(_ index: Int) -> Float {
        let b = bits(index)
        let u1 = (Double(b >> 32) + 1) / 4_294_967_297.0
        let u2 = Double(b & 0xFFFF_FFFF) / 4_294_967_296.0
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

@inline(__always)
private func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
