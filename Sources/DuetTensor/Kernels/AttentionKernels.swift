// Fused attention kernels, one (batch, head) per task over the kernel threads: query blocks of
// `attentionQueryBlock` rows whose score rows stay in cache (flash attention's blocking), the
// products on `tileProduct`, and q, k, v, out read and written in place through strides, so the
// heads' permutes are never materialised, and the probabilities of whole heads only for calls
// small enough to keep them for backward (`keptProbabilityLimit`).

/// Where the [rows, d] matrix of (batch b, head h) lives inside a buffer: a [B, H, N, d] tensor
/// has strides (H·N·d, N·d, d); the q part of a packed qkv [B, N, 3, H, d] has (N·3D, d, 3D).
struct HeadLayout {
    let batchStride: Int
    let headStride: Int
    let rowStride: Int

    func offset(_ batch: Int, _ head: Int) -> Int { batch * batchStride + head * headStride }
}

/// The shapes and scale of one attention call.
struct AttentionShape {
    let batch, heads, queries, keys, headDim: Int
    let scale: Float
    /// Keys rounded up to 16: the packed Kᵀ and the score rows are this wide.
    var paddedKeys: Int { (keys + 15) & ~15 }
}

/// Query rows per block: 48 rows of scores for 512 keys are 96 KB, which with Kᵀ and Vᵀ stays
/// in the 512 KB L2 through the backward pass; a multiple of the tile's six rows.
let attentionQueryBlock = 48

/// The rows of each query block for `queries` rows: as few blocks as `attentionQueryBlock` allows,
/// evened out in multiples of six, so 196 queries run as 42, 42, 42, 42, 28 rather than four
/// blocks of 48 and one of 4 (a block that short pays the tiles' loads and stores of dK and dV
/// for a depth of 4).
func queryBlockRows(_ queries: Int) -> Int {
    let blocks = (queries + attentionQueryBlock - 1) / attentionQueryBlock
    let even = (queries + blocks - 1) / max(blocks, 1)
    return min(attentionQueryBlock, (even + 5) / 6 * 6)
}

/// Score matrices of a call up to this many floats (16 MB) are kept from forward for backward,
/// which then skips recomputing Q·Kᵀ and its exponentials (one product in seven): W1 keeps 7.8 MB
/// a block. Longer sequences recompute, as flash attention does, so memory stays linear in N.
let keptProbabilityLimit = 4 << 20

/// out = softmax(q·kᵀ·scale + bias)·v per (batch, head); lse gets log Σ exp per query row
/// ([B, H, N], contiguous). `bias` is [B, keys] (0 or −∞) or nil. With `keptProbabilities`
/// ([B·H, N, paddedKeys]) the probabilities land there for `attentionBackward`.
func attentionForward(_ s: AttentionShape, q: UnsafePointer<Float>, _ ql: HeadLayout, k: UnsafePointer<Float>, _ kl: HeadLayout,
                      v: UnsafePointer<Float>, _ vl: HeadLayout, out: UnsafeMutablePointer<Float>, _ ol: HeadLayout,
                      lse: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
                      keptProbabilities: UnsafeMutablePointer<Float>? = nil) {
    let mp = s.paddedKeys, d = s.headDim, blockRows = queryBlockRows(s.queries)
    let perChunk = d * mp + attentionQueryBlock * mp
    let scratch = Tensor(uninitializedShape: [parallelChunkCount(s.batch * s.heads) * perChunk])
    let p = UncheckedSendable((q, k, v, out, lse, bias, scratch.pointer, keptProbabilities))
    // The ranges hold only the scratch's pointer: keep the tensor alive until they are done.
    defer { withExtendedLifetime(scratch) {} }
    parallelChunks(s.batch * s.heads) { chunk, tasks in
        let (q, k, v, out, lse, bias, scratch, kept) = p.value
        let kt = scratch + chunk * perChunk
        for task in tasks {
            let b = task / s.heads, h = task % s.heads
            packTransposed(k + kl.offset(b, h), rowStride: kl.rowStride, rows: s.keys, cols: d, into: kt, paddedRows: mp)
            let qh = q + ql.offset(b, h), vh = v + vl.offset(b, h), oh = out + ol.offset(b, h)
            let lseh = lse + task * s.queries, biasRow = bias.map { $0 + b * s.keys }
            var r0 = 0
            while r0 < s.queries {
                let rows = min(blockRows, s.queries - r0)
                let scores = kept.map { $0 + (task * s.queries + r0) * mp } ?? kt + d * mp
                tileProduct(rows: rows, cols: mp, depth: d, alpha: s.scale, qh + r0 * ql.rowStride, aRowStride: ql.rowStride,
                            aColStride: 1, kt, bRowStride: mp, scores, cRowStride: mp, accumulate: false)
                for r in 0..<rows {
                    lseh[r0 + r] = softmaxRow(scores + r * mp, count: s.keys, bias: biasRow)
                }
                tileProduct(rows: rows, cols: d, depth: s.keys, alpha: 1, scores, aRowStride: mp, aColStride: 1,
                            vh, bRowStride: vl.rowStride, oh + r0 * ol.rowStride, cRowStride: ol.rowStride, accumulate: false)
                r0 += rows
            }
        }
    }
}

/// The gradients of `attentionForward` from the upstream gradient g (laid out as out), with the
/// probabilities read from `keptProbabilities` or recomputed from lse. dq, dk, dv take the
/// layouts of q, k, v.
func attentionBackward(_ s: AttentionShape, q: UnsafePointer<Float>, _ ql: HeadLayout, k: UnsafePointer<Float>, _ kl: HeadLayout,
                       v: UnsafePointer<Float>, _ vl: HeadLayout, g: UnsafePointer<Float>, _ gl: HeadLayout,
                       lse: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                       dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                       keptProbabilities: UnsafePointer<Float>? = nil) {
    let mp = s.paddedKeys, d = s.headDim, block = attentionQueryBlock, blockRows = queryBlockRows(s.queries)
    let perChunk = 2 * d * mp + 2 * block * mp
    let scratch = Tensor(uninitializedShape: [parallelChunkCount(s.batch * s.heads) * perChunk])
    let p = UncheckedSendable((q, k, v, g, lse, bias, dq, dk, dv, scratch.pointer, keptProbabilities))
    // The ranges hold only the scratch's pointer: keep the tensor alive until they are done.
    defer { withExtendedLifetime(scratch) {} }
    parallelChunks(s.batch * s.heads) { chunk, tasks in
        let (q, k, v, g, lse, bias, dq, dk, dv, scratch, kept) = p.value
        let kt = scratch + chunk * perChunk, vt = kt + d * mp, dprobs = vt + d * mp + block * mp
        for task in tasks {
            let b = task / s.heads, h = task % s.heads
            let qh = q + ql.offset(b, h), kh = k + kl.offset(b, h), gh = g + gl.offset(b, h)
            let dqh = dq + ql.offset(b, h), dkh = dk + kl.offset(b, h), dvh = dv + vl.offset(b, h)
            if kept == nil { packTransposed(kh, rowStride: kl.rowStride, rows: s.keys, cols: d, into: kt, paddedRows: mp) }
            packTransposed(v + vl.offset(b, h), rowStride: vl.rowStride, rows: s.keys, cols: d, into: vt, paddedRows: mp)
            for j in 0..<s.keys {
                (dkh + j * kl.rowStride).update(repeating: 0, count: d)
                (dvh + j * vl.rowStride).update(repeating: 0, count: d)
            }
            let lseh = lse + task * s.queries, biasRow = bias.map { $0 + b * s.keys }
            var r0 = 0
            while r0 < s.queries {
                let rows = min(blockRows, s.queries - r0)
                let qb = qh + r0 * ql.rowStride, gb = gh + r0 * gl.rowStride
                let probs: UnsafePointer<Float>
                tileProduct(rows: rows, cols: mp, depth: d, alpha: 1, gb, aRowStride: gl.rowStride, aColStride: 1,
                            vt, bRowStride: mp, dprobs, cRowStride: mp, accumulate: false)
                if let kept {
                    probs = kept + (task * s.queries + r0) * mp
                    for r in 0..<rows { scoreGradientRow(probs + r * mp, dprobs + r * mp, count: s.keys) }
                } else {
                    let recomputed = vt + d * mp
                    tileProduct(rows: rows, cols: mp, depth: d, alpha: s.scale, qb, aRowStride: ql.rowStride, aColStride: 1,
                                kt, bRowStride: mp, recomputed, cRowStride: mp, accumulate: false)
                    for r in 0..<rows {
                        recomputeProbabilities(recomputed + r * mp, count: s.keys, bias: biasRow, logSumExp: lseh[r0 + r])
                        scoreGradientRow(recomputed + r * mp, dprobs + r * mp, count: s.keys)
                    }
                    probs = UnsafePointer(recomputed)
                }
                // dV += Pᵀ·dO; dQ = dS·K·scale; dK += dSᵀ·Q·scale (dS is in dprobs).
                tileProduct(rows: s.keys, cols: d, depth: rows, alpha: 1, probs, aRowStride: 1, aColStride: mp,
                            gb, bRowStride: gl.rowStride, dvh, cRowStride: vl.rowStride, accumulate: true)
                tileProduct(rows: rows, cols: d, depth: s.keys, alpha: s.scale, dprobs, aRowStride: mp, aColStride: 1,
                            kh, bRowStride: kl.rowStride, dqh + r0 * ql.rowStride, cRowStride: ql.rowStride, accumulate: false)
                tileProduct(rows: s.keys, cols: d, depth: rows, alpha: s.scale, dprobs, aRowStride: 1, aColStride: mp,
                            qb, bRowStride: ql.rowStride, dkh, cRowStride: kl.rowStride, accumulate: true)
                r0 += rows
            }
        }
    }
}

/// dst[c, r] = src[r, c] for a [rows, cols] matrix with row stride; dst rows are `paddedRows`
/// long and zero past `rows`. Sixteen source rows at a time, so each destination row gets a run
/// of 16 consecutive stores while those rows stay in L1 (a row-by-row copy wrote every element
/// to a different destination line).
private func packTransposed(_ src: UnsafePointer<Float>, rowStride: Int, rows: Int, cols: Int,
                            into dst: UnsafeMutablePointer<Float>, paddedRows: Int) {
    var r0 = 0
    while r0 < rows {
        let band = min(16, rows - r0)
        for c in 0..<cols {
            let out = dst + c * paddedRows + r0, column = src + r0 * rowStride + c
            for r in 0..<band { out[r] = column[r * rowStride] }
        }
        r0 += band
    }
    if paddedRows > rows {
        for c in 0..<cols { (dst + c * paddedRows + rows).update(repeating: 0, count: paddedRows - rows) }
    }
}

/// row ← softmax(row + bias) over `count` entries in place; returns log Σ exp(row + bias)
/// (+∞ when every key is masked: the row becomes zeros).
private func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int, bias: UnsafePointer<Float>?) -> Float {
    if let bias { for c in 0..<count { row[c] += bias[c] } }
    var mx = maxContiguous(row, count)
    if mx == -.infinity { mx = 0 }
    // The exponentials as a pure map (vectorised), then the sum in SIMD16 lanes.
    for c in 0..<count { row[c] = fastExp(row[c] - mx) }
    let sum = sumContiguous(row, count)
    let inv: Float = sum > 0 ? 1 / sum : 0
    for c in 0..<count { row[c] *= inv }
    return sum > 0 ? mx + logf(sum) : .infinity
}

/// p ← exp(p + bias − lse): the probabilities, from raw scaled scores.
private func recomputeProbabilities(_ p: UnsafeMutablePointer<Float>, count: Int, bias: UnsafePointer<Float>?, logSumExp l: Float) {
    if let bias { for c in 0..<count { p[c] += bias[c] } }
    for c in 0..<count { p[c] = fastExp(p[c] - l) }
}

/// dp ← p ⊙ (dp − Δ) with Δ = Σ p·dp, which equals dO·O without keeping O.
private func scoreGradientRow(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, count: Int) {
    let delta = dotContiguous(p, dp, count)
    for c in 0..<count { dp[c] = p[c] * (dp[c] - delta) }
}

#if canImport(Glibc)
import Glibc
#endif
