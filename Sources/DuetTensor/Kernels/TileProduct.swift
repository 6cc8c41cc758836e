// A small register-tiled matrix product for work already split over the kernel threads (one
// attention head per task), where sgemm would split its work again over threads already busy.

/// C = alpha · A·B (+ C when `accumulate`), with C [rows, cols] and B [depth, cols] row-major
/// (row strides given) and A(i, t) = a[i·aRowStride + t·aColStride], so Aᵀ is a stride swap.
///
/// Six rows × 16 columns of C stay in registers while t runs over the depth: 12 AVX2 registers
/// of accumulators, one B load and six broadcasts per step (the shape of OpenBLAS's Haswell
/// kernel). Measured on the 2-core Zen 3 host at 196×208×64: 49 GFLOP/s on one core against
/// 32 for four rows and 6 for a 4×32 tile that spilled.
///
/// With `wideTiles` (AVX-512: 32 vector registers) the six rows take 32 columns at a time: 12
/// accumulators hide the FMA latency that six cannot (two FMAs a cycle, four cycles each), and a
/// step loads two B vectors for six broadcasts. Measured on the Intel host (W3, 8×3 heads of
/// 512 keys, forward and backward): see README "Performance".
func tileProduct(rows: Int, cols: Int, depth: Int, alpha: Float,
                 _ a: UnsafePointer<Float>, aRowStride: Int, aColStride: Int,
                 _ b: UnsafePointer<Float>, bRowStride: Int,
                 _ c: UnsafeMutablePointer<Float>, cRowStride: Int, accumulate: Bool,
                 wideTiles: Bool = TileShape.wide) {
    let wide = cols & ~15
    var i = 0
    while i + 6 <= rows {
        var j = 0
        if wideTiles {
            while j + 32 <= wide {
                sixRowWideTile(depth: depth, alpha: alpha, a + i * aRowStride, aRowStride, aColStride, b + j, bRowStride,
                               c + i * cRowStride + j, cRowStride, accumulate)
                j += 32
            }
        }
        while j < wide {
            sixRowTile(depth: depth, alpha: alpha, a + i * aRowStride, aRowStride, aColStride, b + j, bRowStride,
                       c + i * cRowStride + j, cRowStride, accumulate)
            j += 16
        }
        i += 6
    }
    if i < rows && wide > 0 {
        remainderRows(rows - i, cols: wide, depth: depth, alpha: alpha, a + i * aRowStride, aRowStride: aRowStride,
                      aColStride: aColStride, b, bRowStride: bRowStride, c + i * cRowStride, cRowStride: cRowStride,
                      accumulate: accumulate, wideTiles: wideTiles)
    }
    // Columns past the last multiple of 16 (head widths that are not): plain dot products.
    if wide < cols {
        for i in 0..<rows {
            for j in wide..<cols {
                var s: Float = 0
                for t in 0..<depth { s += a[i * aRowStride + t * aColStride] * b[t * bRowStride + j] }
                let dst = c + i * cRowStride + j
                dst.pointee = accumulate ? dst.pointee + alpha * s : alpha * s
            }
        }
    }
}

/// The last `count` (< 6) rows of C through the six-row tiles: their A rows are copied under
/// zero rows into a 6 × depth block and the six result rows land in scratch, whose first `count`
/// rows are then stored. A one-row tile has a single chain of dependent FMAs, four cycles each:
/// for the 4 rows that 196 tokens leave past 32 six-row groups it ran at a quarter of the tiles'
/// rate, and attention's backward meets such rows in every query block.
private func remainderRows(_ count: Int, cols: Int, depth: Int, alpha: Float,
                           _ a: UnsafePointer<Float>, aRowStride: Int, aColStride: Int,
                           _ b: UnsafePointer<Float>, bRowStride: Int,
                           _ c: UnsafeMutablePointer<Float>, cRowStride: Int, accumulate: Bool, wideTiles: Bool) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 * depth + 6 * cols) { buffer in
        let rowsOfA = buffer.baseAddress!, rowsOfC = rowsOfA + 6 * depth
        for r in 0..<6 {
            let dst = rowsOfA + r * depth
            if r < count {
                let src = a + r * aRowStride
                for t in 0..<depth { dst[t] = src[t * aColStride] }
            } else {
                dst.update(repeating: 0, count: depth)
            }
        }
        tileProduct(rows: 6, cols: cols, depth: depth, alpha: alpha, rowsOfA, aRowStride: depth, aColStride: 1,
                    b, bRowStride: bRowStride, rowsOfC, cRowStride: cols, accumulate: false, wideTiles: wideTiles)
        for r in 0..<count {
            let src = rowsOfC + r * cols, dst = c + r * cRowStride
            if accumulate {
                for j in 0..<cols { dst[j] += src[j] }
            } else {
                dst.update(from: src, count: cols)
            }
        }
    }
}

typealias Lanes = SIMD16<Float>

/// Which tile `tileProduct` uses on this processor, decided once.
enum TileShape {
    /// AVX-512's 32 registers hold the 6×32 tile's 12 accumulators, 2 B vectors and a broadcast;
    /// AVX2's 16 (two per 16-lane vector) would spill them.
    static let wide = BLASKernelChoice.cpuFlags().contains("avx512f")
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

@inline(__always)
private func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, alpha: Float, accumulate: Bool) {
    let raw = UnsafeMutableRawPointer(p)
    let out = accumulate ? raw.loadUnaligned(as: Lanes.self).addingProduct(v, alpha) : v * alpha
    raw.storeBytes(of: out, as: Lanes.self)
}

@inline(__always)
private func sixRowTile(depth: Int, alpha: Float, _ a: UnsafePointer<Float>, _ ars: Int, _ acs: Int,
                        _ b: UnsafePointer<Float>, _ brs: Int, _ c: UnsafeMutablePointer<Float>, _ crs: Int, _ accumulate: Bool) {
    var c0 = Lanes(), c1 = Lanes(), c2 = Lanes(), c3 = Lanes(), c4 = Lanes(), c5 = Lanes()
    var ap = a, bp = b
    for _ in 0..<depth {
        let bv = load(bp)
        c0 = c0.addingProduct(Lanes(repeating: ap[0]), bv)
        c1 = c1.addingProduct(Lanes(repeating: ap[ars]), bv)
        c2 = c2.addingProduct(Lanes(repeating: ap[2 * ars]), bv)
        c3 = c3.addingProduct(Lanes(repeating: ap[3 * ars]), bv)
        c4 = c4.addingProduct(Lanes(repeating: ap[4 * ars]), bv)
        c5 = c5.addingProduct(Lanes(repeating: ap[5 * ars]), bv)
        ap += acs
        bp += brs
    }
    store(c0, c, alpha: alpha, accumulate: accumulate)
    store(c1, c + crs, alpha: alpha, accumulate: accumulate)
    store(c2, c + 2 * crs, alpha: alpha, accumulate: accumulate)
    store(c3, c + 3 * crs, alpha: alpha, accumulate: accumulate)
    store(c4, c + 4 * crs, alpha: alpha, accumulate: accumulate)
    store(c5, c + 5 * crs, alpha: alpha, accumulate: accumulate)
}

@inline(__always)
private func sixRowWideTile(depth: Int, alpha: Float, _ a: UnsafePointer<Float>, _ ars: Int, _ acs: Int,
                            _ b: UnsafePointer<Float>, _ brs: Int, _ c: UnsafeMutablePointer<Float>, _ crs: Int, _ accumulate: Bool) {
    var l0 = Lanes(), l1 = Lanes(), l2 = Lanes(), l3 = Lanes(), l4 = Lanes(), l5 = Lanes()
    var r0 = Lanes(), r1 = Lanes(), r2 = Lanes(), r3 = Lanes(), r4 = Lanes(), r5 = Lanes()
    var ap = a, bp = b
    for _ in 0..<depth {
        let left = load(bp), right = load(bp + 16)
        var x = Lanes(repeating: ap[0])
        l0 = l0.addingProduct(x, left); r0 = r0.addingProduct(x, right)
        x = Lanes(repeating: ap[ars])
        l1 = l1.addingProduct(x, left); r1 = r1.addingProduct(x, right)
        x = Lanes(repeating: ap[2 * ars])
        l2 = l2.addingProduct(x, left); r2 = r2.addingProduct(x, right)
        x = Lanes(repeating: ap[3 * ars])
        l3 = l3.addingProduct(x, left); r3 = r3.addingProduct(x, right)
        x = Lanes(repeating: ap[4 * ars])
        l4 = l4.addingProduct(x, left); r4 = r4.addingProduct(x, right)
        x = Lanes(repeating: ap[5 * ars])
        l5 = l5.addingProduct(x, left); r5 = r5.addingProduct(x, right)
        ap += acs
        bp += brs
    }
    store(l0, c, alpha: alpha, accumulate: accumulate)
    store(r0, c + 16, alpha: alpha, accumulate: accumulate)
    store(l1, c + crs, alpha: alpha, accumulate: accumulate)
    store(r1, c + crs + 16, alpha: alpha, accumulate: accumulate)
    store(l2, c + 2 * crs, alpha: alpha, accumulate: accumulate)
    store(r2, c + 2 * crs + 16, alpha: alpha, accumulate: accumulate)
    store(l3, c + 3 * crs, alpha: alpha, accumulate: accumulate)
    store(r3, c + 3 * crs + 16, alpha: alpha, accumulate: accumulate)
    store(l4, c + 4 * crs, alpha: alpha, accumulate: accumulate)
    store(r4, c + 4 * crs + 16, alpha: alpha, accumulate: accumulate)
    store(l5, c + 5 * crs, alpha: alpha, accumulate: accumulate)
    store(r5, c + 5 * crs + 16, alpha: alpha, accumulate: accumulate)
}
