// Rotary position embedding (RoPE, Su et al., "RoFormer", arXiv 2104.09864) applied to the
// queries and keys inside a fused qkv projection. Token t's query and key are rotated by angles
// t·θ_i, so q_t·k_s depends on t − s only: attention sees relative positions and no position
// code is added to the tokens themselves (RAVEn's towers use relative-position attention for the
// same reason). Pairs are (i, i + d/2) within each head, θ_i = base^(−2i/d): the "rotate_half"
// layout of GPT-NeoX, LLaMA and timm's `apply_rot_embed_cat`.
import Foundation

/// The rotation angles' base and the head width they are laid out for.
struct RotaryTable: Sendable {
    /// cos and sin of t·θ_i, [tokens, d/2] each.
    let cosines: [Float]
    let sines: [Float]
    let tokens: Int
    let half: Int

    /// Angles for positions 0..<tokens over heads of width `headDim` (even).
    init(tokens: Int, headDim: Int, base: Float = 10_000) {
        precondition(headDim % 2 == 0, "rotary positions need an even head width, got \(headDim)")
        let half = headDim / 2
        var cosines = [Float](repeating: 0, count: tokens * half), sines = cosines
        for t in 0..<tokens {
            for i in 0..<half {
                // Angles in Double: t·θ reaches thousands of radians, where Float's rounding shows.
                let angle = Double(t) * Foundation.pow(Double(base), -2 * Double(i) / Double(headDim))
                cosines[t * half + i] = Float(Foundation.cos(angle))
                sines[t * half + i] = Float(Foundation.sin(angle))
            }
        }
        self.cosines = cosines
        self.sines = sines
        self.tokens = tokens
        self.half = half
    }
}

extension Tensor {
    /// `qkv` [B, N, 3·D] laid out as [B, N, 3, heads, D/heads] (timm's `qkv` Linear) with token
    /// n's queries and keys rotated by position n; values pass unchanged.
    public func rotatingQueriesAndKeys(heads: Int, base: Float = 10_000) -> Tensor {
        profiled(.elementwise) {
            precondition(rank == 3 && shape[2] % (3 * heads) == 0, "rotatingQueriesAndKeys: \(shape) is not [B, N, 3·heads·d]")
            let (b, n, width) = (shape[0], shape[1], shape[2] / 3)
            let table = RotaryTable(tokens: n, headDim: width / heads, base: base)
            let out = Tensor(uninitializedShape: shape)
            rotateQueriesAndKeys(from: pointer, to: out.pointer, rows: b * n, tokens: n, width: width, heads: heads,
                                 table: table, inverse: false)
            return out.recorded("rotaryPositions", [self]) { g in
                // A rotation's transpose is the rotation by the opposite angle.
                let gx = Tensor(uninitializedShape: g.shape)
                rotateQueriesAndKeys(from: g.pointer, to: gx.pointer, rows: b * n, tokens: n, width: width, heads: heads,
                                     table: table, inverse: true)
                return [gx]
            }
        }
    }
}

/// Rows of [rows, 3·width]: the first two thirds rotated per head by row % tokens (by the opposite
/// angle when `inverse`), the last third copied.
private func rotateQueriesAndKeys(from: UnsafeMutablePointer<Float>, to: UnsafeMutablePointer<Float>, rows: Int, tokens: Int,
                                  width: Int, heads: Int, table: RotaryTable, inverse: Bool) {
    let p = UncheckedSendable((from, to))
    let half = table.half, d = 2 * half
    let sign: Float = inverse ? -1 : 1
    table.cosines.withUnsafeBufferPointer { cosBuf in
        table.sines.withUnsafeBufferPointer { sinBuf in
            let tables = UncheckedSendable((cosBuf.baseAddress!, sinBuf.baseAddress!))
            parallelFor(rows, grain: 16) { range in
                let (src, dst) = p.value
                let (cosines, sines) = tables.value
                for r in range {
                    let row = r * 3 * width
                    let c = cosines + (r % tokens) * half, s = sines + (r % tokens) * half
                    for part in 0..<2 {
                        for h in 0..<heads {
                            let x = src + row + part * width + h * d, y = dst + row + part * width + h * d
                            for i in 0..<half {
                                let (x1, x2, sn) = (x[i], x[i + half], sign * s[i])
                                y[i] = x1 * c[i] - x2 * sn
                                y[i + half] = x2 * c[i] + x1 * sn
                            }
                        }
                    }
                    (dst + row + 2 * width).update(from: src + row + 2 * width, count: width)
                }
            }
        }
    }
}
