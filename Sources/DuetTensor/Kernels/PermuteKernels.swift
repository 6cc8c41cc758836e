// Materialising permutes: the output is walked in order, the input through permuted strides.
// Swapping the last two axes (the common case) runs in cache-sized tiles.

/// out = x permuted so that out axis i is x axis `order[i]`.
func permuteKernel(_ x: UnsafeMutablePointer<Float>, shape: [Int], order: [Int], _ out: UnsafeMutablePointer<Float>) {
    let r = shape.count
    let inStrides = contiguousStrides(shape)
    let outShape = order.map { shape[$0] }
    let srcStrides = order.map { inStrides[$0] }
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    let p = UncheckedSendable((x, out))
    if r >= 2 && order[r - 1] == r - 2 && order[r - 2] == r - 1 && Array(order.prefix(r - 2)) == Array(0..<(r - 2)) {
        let rows = shape[r - 2], cols = shape[r - 1], mats = total / (rows * cols)
        let tile = 32
        parallelFor(mats * ((rows + tile - 1) / tile), grain: 1) { range in
            let (x, out) = p.value
            let tilesPerMat = (rows + tile - 1) / tile
            for job in range {
                let m = job / tilesPerMat, i0 = (job % tilesPerMat) * tile
                let src = x + m * rows * cols, dst = out + m * rows * cols
                let i1 = Swift.min(i0 + tile, rows)
                var j0 = 0
                while j0 < cols {
                    let j1 = Swift.min(j0 + tile, cols)
                    for i in i0..<i1 { for j in j0..<j1 { dst[j * rows + i] = src[i * cols + j] } }
                    j0 = j1
                }
            }
        }
        return
    }
    let inner = outShape[r - 1], innerStride = srcStrides[r - 1]
    let outer = total / inner
    parallelFor(outer, grain: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
        let (x, out) = p.value
        for row in range {
            var rem = row, off = 0
            for d in stride(from: r - 2, through: 0, by: -1) {
                off += (rem % outShape[d]) * srcStrides[d]
                rem /= outShape[d]
            }
            let dst = out + row * inner
            if innerStride == 1 {
                dst.update(from: x + off, count: inner)
            } else {
                for j in 0..<inner { dst[j] = x[off + j * innerStride] }
            }
        }
    }
}

/// Copies a block [outer, size, inner] of `src` into `dst` at `offset` along an axis of
/// `dstSize` (concat's forward, narrow's backward), or the reverse when `gather` is true.
func copyAlongAxis(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, outer: Int, size: Int,
                   inner: Int, offset: Int, axisSize: Int, gather: Bool) {
    let block = size * inner
    let p = UncheckedSendable((src, dst))
    parallelFor(outer, grain: Swift.max(1, 16384 / Swift.max(block, 1))) { range in
        for o in range {
            let big = o * axisSize * inner + offset * inner, small = o * block
            if gather {
                (p.value.1 + small).update(from: p.value.0 + big, count: block)
            } else {
                (p.value.1 + big).update(from: p.value.0 + small, count: block)
            }
        }
    }
}
