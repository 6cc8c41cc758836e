// Counter-based randomness (Philox4x32-10): every number is a pure function of a key and a
// counter, so a mask or an augmentation depends only on (seed, step, rank, sample) and a resumed
// run draws exactly what it would have, on any machine and thread count.

/// A Philox4x32-10 stream: a 64-bit key and a 64-bit stream id; element i of a draw is a pure
/// function of (key, stream, i).
public struct RandomStream: Sendable, Hashable {
    public let seed: UInt64
    public let stream: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// A stream for a sub-purpose, keyed by more counters (step, rank, sample, layer, ...).
    public func derived(_ counters: UInt64...) -> RandomStream {
        var s = stream
        for c in counters { s = splitMix64(s ^ splitMix64(c &+ 0x9E37_79B9_7F4A_7C15)) }
        return RandomStream(seed: seed, stream: s)
    }

    /// Four 32-bit random words for block `block`.
    @inline(__always)
    public func block(_ block: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        philox4x32(counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                             UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
                   key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// The 32-bit word number `index` of the stream.
    @inline(__always)
    public func word(_ index: Int) -> UInt32 {
        let b = block(UInt64(index >> 2))
        switch index & 3 {
        case 0: return b.0
        case 1: return b.1
        case 2: return b.2
        default: return b.3
        }
    }

    /// A uniform Float in [0, 1) for index `index`.
    @inline(__always)
    public func uniform(_ index: Int) -> Float {
        uniformFloat(word(index))
    }

    /// A uniform integer in 0..<bound for index `index`.
    public func integer(_ index: Int, below bound: Int) -> Int {
        precondition(bound > 0)
        let b = block(UInt64(index))
        let wide = UInt64(b.0) << 32 | UInt64(b.1)
        return Int(wide.multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A standard normal for index `index` (Box–Muller on one block).
    @inline(__always)
    public func normal(_ index: Int) -> Float {
        let b = block(UInt64(index))
        let u1 = (Float(b.0 >> 8) + 1) * (1.0 / 16_777_216.0)  // (0, 1]: log stays finite
        let u2 = Float(b.1 >> 8) * (1.0 / 16_777_216.0)
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }

    /// A random permutation of 0..<n (Fisher–Yates driven by the stream).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = integer(i, below: i + 1)
            p.swapAt(i, j)
        }
        return p
    }
}

@inline(__always)
func uniformFloat(_ w: UInt32) -> Float {
    Float(w >> 8) * (1.0 / 16_777_216.0)
}

@inline(__always)
func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Philox4x32 with 10 rounds (Salmon et al., 2011), the generator of cuRAND and JAX.
@inline(__always)
func philox4x32(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
    var c = counter
    var k = key
    for _ in 0..<10 {
        let p0 = UInt64(0xD251_1F53) &* UInt64(c.0)
        let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.2)
        c = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
             UInt32(truncatingIfNeeded: p0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: p0))
        k = (k.0 &+ 0x9E37_79B9, k.1 &+ 0xBB67_AE85)
    }
    return c
}

#if canImport(Glibc)
import Glibc
#endif
