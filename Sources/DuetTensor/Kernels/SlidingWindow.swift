// The geometry shared by convolution and pooling: a window sliding over one to three spatial
// axes, always held as three (missing leading axes have size 1), so one kernel serves 1-D to 3-D.

/// Input extent, kernel, stride and padding of a sliding window over (depth, height, width),
/// and the output extent they give (PyTorch's floor rule, dilation 1).
struct SlidingWindow: Sendable {
    let inD, inH, inW: Int
    let kD, kH, kW: Int
    let sD, sH, sW: Int
    let pD, pH, pW: Int
    let outD, outH, outW: Int
    /// How many spatial axes the caller has (1, 2 or 3).
    let rank: Int

    /// `spatial`, `kernel`, `stride` and `padding` each have one entry per spatial axis (1 to 3).
    init(spatial: [Int], kernel: [Int], stride: [Int], padding: [Int]) {
        let n = spatial.count
        precondition((1...3).contains(n), "sliding windows cover 1 to 3 spatial axes, got \(n)")
        precondition(kernel.count == n && stride.count == n && padding.count == n,
                     "kernel \(kernel), stride \(stride) and padding \(padding) need \(n) entries each")
        precondition(kernel.allSatisfy { $0 > 0 } && stride.allSatisfy { $0 > 0 } && padding.allSatisfy { $0 >= 0 },
                     "kernel and stride must be positive and padding non-negative: \(kernel), \(stride), \(padding)")
        func lead(_ a: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: 3 - n) + a }
        let i = lead(spatial, 1), k = lead(kernel, 1), s = lead(stride, 1), p = lead(padding, 0)
        var o = [Int](repeating: 1, count: 3)
        for a in 0..<3 {
            let padded: Int = i[a] + 2 * p[a]
            precondition(padded >= k[a], "kernel \(kernel) is larger than the padded input \(spatial) (padding \(padding))")
            o[a] = (padded - k[a]) / s[a] + 1
        }
        (inD, inH, inW) = (i[0], i[1], i[2])
        (kD, kH, kW) = (k[0], k[1], k[2])
        (sD, sH, sW) = (s[0], s[1], s[2])
        (pD, pH, pW) = (p[0], p[1], p[2])
        (outD, outH, outW) = (o[0], o[1], o[2])
        rank = n
    }

    var inputCount: Int { inD * inH * inW }
    var outputCount: Int { outD * outH * outW }
    var kernelCount: Int { kD * kH * kW }
    /// The output's spatial shape, with the caller's number of axes.
    var outputShape: [Int] { Array([outD, outH, outW].suffix(rank)) }

    /// The outputs along one axis whose window position `offset` (0..<k) lands inside the input:
    /// 0 ≤ o·stride − pad + offset < n.
    @inline(__always)
    static func validOutputs(offset: Int, input n: Int, stride s: Int, pad p: Int, output o: Int) -> Range<Int> {
        let shift = p - offset
        let lo = shift <= 0 ? 0 : Swift.min(o, (shift + s - 1) / s)
        let last = n - 1 + shift
        let hi = last < 0 ? 0 : Swift.min(o, last / s + 1)
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// The input positions along one axis covered by output `o`'s window, clipped to the input.
    @inline(__always)
    static func window(_ o: Int, input n: Int, kernel k: Int, stride s: Int, pad p: Int) -> Range<Int> {
        let start = o * s - p
        let lo = Swift.max(start, 0), hi = Swift.min(start + k, n)
        return lo < hi ? lo..<hi : lo..<lo
    }
}
