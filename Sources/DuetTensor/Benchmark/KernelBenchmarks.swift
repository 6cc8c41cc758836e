// The kernel benchmark behind `duet bench --kernels`: each fused op timed forward + backward,
// beside the time sgemm alone needs for the same matrix products, measured in the same run.

/// One timed kernel.
public struct KernelTiming: Sendable, Codable {
    public let name: String
    /// Median milliseconds per forward + backward.
    public let milliseconds: Double
    /// Floating-point operations per run (the matrix products for GEMM-bound kernels).
    public let flops: Double
    /// Median milliseconds of the same matrix products through sgemm alone, where relevant.
    public let sgemmOnlyMilliseconds: Double?

    public var gflops: Double { flops / milliseconds / 1e6 }
    /// Time relative to sgemm alone (1.0 = no overhead beyond the products).
    public var overSgemm: Double? { sgemmOnlyMilliseconds.map { milliseconds / $0 } }
}

public enum KernelBenchmarks {
    /// Runs every kernel benchmark; `repeats` timed runs each after 3 warm-up runs.
    public static func run(repeats: Int = 10) -> [KernelTiming] {
        [sgemm2048(repeats), splitSgemm2048(repeats), linear(repeats), attentionW1(repeats), attentionW3(repeats), layerNorm(repeats), gelu(repeats)]
    }

    /// Only the kernels whose names start with one of `prefixes` ("sgemm", "linear", ...).
    public static func run(only prefixes: [String], repeats: Int = 10) -> [KernelTiming] {
        var results: [KernelTiming] = []
        if prefixes.contains("sgemm") { results.append(sgemm2048(repeats)) }
        if prefixes.contains("linear") { results.append(linear(repeats)) }
        if prefixes.contains("attention") { results += [attentionW1(repeats), attentionW3(repeats)] }
        if prefixes.contains("layer norm") { results.append(layerNorm(repeats)) }
        if prefixes.contains("GELU") { results.append(gelu(repeats)) }
        return results
    }

    /// The reference rate: one 2048³ cblas_sgemm with OpenBLAS's own threads over every core.
    static func sgemm2048(_ repeats: Int) -> KernelTiming {
        let n = 2048
        let (a, b, c) = squareOperands(n)
        let call = SgemmCall(transposeA: false, transposeB: false, k: n, alpha: 1, a: a.pointer, lda: n,
                             b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n)
        let ms = BLASThreads.withOwnThreads { medianMilliseconds(repeats: repeats) { call.run(rows: 0..<n, columns: 0..<n) } }
        return KernelTiming(name: "sgemm 2048³", milliseconds: ms, flops: 2 * pow3(n), sgemmOnlyMilliseconds: nil)
    }

    /// The same product through Duet's `sgemm`: one-thread OpenBLAS calls on the kernel threads.
    static func splitSgemm2048(_ repeats: Int) -> KernelTiming {
        let n = 2048
        let (a, b, c) = squareOperands(n)
        let ms = medianMilliseconds(repeats: repeats) {
            sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a.pointer, b.pointer, c.pointer)
        }
        return KernelTiming(name: "sgemm 2048³ on kernel threads", milliseconds: ms, flops: 2 * pow3(n), sgemmOnlyMilliseconds: nil)
    }

    private static func squareOperands(_ n: Int) -> (Tensor, Tensor, Tensor) {
        (Tensor.randomNormal([n, n], stream: RandomStream(seed: 1)), Tensor.randomNormal([n, n], stream: RandomStream(seed: 2)),
         Tensor(uninitializedShape: [n, n]))
    }

    /// Linear 3136×192 → 768 (a ViT-Tiny MLP's first layer on 16 images), forward + backward.
    static func linear(_ repeats: Int) -> KernelTiming {
        let (rows, inF, outF) = (3136, 192, 768)
        let x = Tensor.randomNormal([rows, inF], stream: RandomStream(seed: 3)).requiringGrad()
        let w = Tensor.randomNormal([outF, inF], std: 0.05, stream: RandomStream(seed: 4)).requiringGrad()
        let bias = Tensor.zeros([outF]).requiringGrad()
        let upstream = Tensor.randomNormal([rows, outF], stream: RandomStream(seed: 5))
        let dy = Tensor(uninitializedShape: [rows, outF]), dx = Tensor(uninitializedShape: [rows, inF])
        let dw = Tensor(uninitializedShape: [outF, inF])
        let times = alternatingMedianMilliseconds(repeats: repeats, [{
            x.grad = nil; w.grad = nil; bias.grad = nil
            Tensor.linear(x, weight: w, bias: bias).backward(upstream)
        }, {
            sgemm(transposeA: false, transposeB: true, m: rows, n: outF, k: inF, x.pointer, w.pointer, dy.pointer)
            sgemm(transposeA: false, transposeB: false, m: rows, n: inF, k: outF, upstream.pointer, w.pointer, dx.pointer)
            sgemm(transposeA: true, transposeB: false, m: outF, n: inF, k: rows, upstream.pointer, x.pointer, dw.pointer)
        }])
        let (ms, gemmMs) = (times[0], times[1])
        return KernelTiming(name: "linear 3136×192→768 fwd+bwd", milliseconds: ms,
                            flops: 3 * 2 * Double(rows * inF * outF), sgemmOnlyMilliseconds: gemmMs)
    }

    /// Attention as W1 runs it, from a packed qkv projection: batch 16, 3 heads, 196 tokens, head
    /// dim 64, forward + backward.
    static func attentionW1(_ repeats: Int) -> KernelTiming {
        attention(name: "W1", batch: 16, heads: 3, tokens: 196, headDim: 64, packed: true, repeats: repeats)
    }

    /// Attention W3: batch 8, 3 heads, 512 tokens, head dim 64, forward + backward.
    static func attentionW3(_ repeats: Int) -> KernelTiming {
        attention(name: "W3", batch: 8, heads: 3, tokens: 512, headDim: 64, packed: false, repeats: repeats)
    }

    /// Fused attention forward + backward of the sum, beside sgemm alone on the six products per
    /// head; `packed` takes q, k, v from one [B, N, 3·H·d] projection as a ViT block does.
    private static func attention(name: String, batch b: Int, heads h: Int, tokens n: Int, headDim d: Int, packed: Bool,
                                  repeats: Int) -> KernelTiming {
        let qkv = Tensor.randomNormal([b, n, 3 * h * d], stream: RandomStream(seed: 5)).requiringGrad()
        let packedOnes = Tensor.ones([b, n, h * d])
        let q = Tensor.randomNormal([b, h, n, d], stream: RandomStream(seed: 6)).requiringGrad()
        let k = Tensor.randomNormal([b, h, n, d], stream: RandomStream(seed: 7)).requiringGrad()
        let v = Tensor.randomNormal([b, h, n, d], stream: RandomStream(seed: 8)).requiringGrad()
        let ones = Tensor.ones([b, h, n, d])
        // The products attention cannot avoid: QKᵀ and PV forward, dV, dP, dQ, dK backward.
        let s = Tensor(uninitializedShape: [n, n]), o = Tensor(uninitializedShape: [n, d])
        let times = alternatingMedianMilliseconds(repeats: repeats, [{
            if packed {
                qkv.grad = nil
                Tensor.selfAttention(packed: qkv, heads: h).backward(packedOnes)
            } else {
                q.grad = nil; k.grad = nil; v.grad = nil
                Tensor.attention(q, k, v).backward(ones)
            }
        }, {
            for head in 0..<(b * h) {
                let qh = q.pointer + head * n * d, kh = k.pointer + head * n * d, vh = v.pointer + head * n * d
                sgemm(transposeA: false, transposeB: true, m: n, n: n, k: d, qh, kh, s.pointer)
                sgemm(transposeA: false, transposeB: false, m: n, n: d, k: n, s.pointer, vh, o.pointer)
                sgemm(transposeA: true, transposeB: false, m: n, n: d, k: n, s.pointer, vh, o.pointer)
                sgemm(transposeA: false, transposeB: true, m: n, n: n, k: d, qh, vh, s.pointer)
                sgemm(transposeA: false, transposeB: false, m: n, n: d, k: n, s.pointer, kh, o.pointer)
                sgemm(transposeA: true, transposeB: false, m: n, n: d, k: n, s.pointer, qh, o.pointer)
            }
        }])
        let (ms, gemmMs) = (times[0], times[1])
        return KernelTiming(name: "attention \(name) \(b)×\(h)×\(n)×\(d) fwd+bwd", milliseconds: ms,
                            flops: 12 * Double(b * h * n * n * d), sgemmOnlyMilliseconds: gemmMs)
    }

    /// LayerNorm over 3136×768 with affine, forward + backward (flops: ~8 per element each way).
    static func layerNorm(_ repeats: Int) -> KernelTiming {
        let (rows, cols) = (3136, 768)
        let x = Tensor.randomNormal([rows, cols], stream: RandomStream(seed: 9)).requiringGrad()
        let w = Tensor.ones([cols]).requiringGrad(), bias = Tensor.zeros([cols]).requiringGrad()
        let upstream = Tensor.randomNormal([rows, cols], stream: RandomStream(seed: 10))
        let ms = medianMilliseconds(repeats: repeats) {
            x.grad = nil; w.grad = nil; bias.grad = nil
            x.layerNorm(weight: w, bias: bias, eps: 1e-6).backward(upstream)
        }
        return KernelTiming(name: "layer norm 3136×768 fwd+bwd", milliseconds: ms, flops: 16 * Double(rows * cols), sgemmOnlyMilliseconds: nil)
    }

    /// Exact GELU over 3136×768, forward + backward (flops: ~20 per element each way).
    static func gelu(_ repeats: Int) -> KernelTiming {
        let (rows, cols) = (3136, 768)
        let x = Tensor.randomNormal([rows, cols], stream: RandomStream(seed: 11)).requiringGrad()
        let upstream = Tensor.randomNormal([rows, cols], stream: RandomStream(seed: 12))
        let ms = medianMilliseconds(repeats: repeats) {
            x.grad = nil
            x.gelu().backward(upstream)
        }
        return KernelTiming(name: "GELU (erf) 3136×768 fwd+bwd", milliseconds: ms, flops: 40 * Double(rows * cols), sgemmOnlyMilliseconds: nil)
    }

    private static func pow3(_ n: Int) -> Double { Double(n) * Double(n) * Double(n) }
}
