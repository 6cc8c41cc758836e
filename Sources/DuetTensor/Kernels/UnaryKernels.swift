// Unary elementwise kernels: a forward pass and a fused backward pass (upstream times the local
// derivative) per function, on raw pointers, rows split over the thread pool.
#if canImport(Glibc)
import Glibc
#endif

public enum UnaryFunction: Sendable, Equatable {
    case exp, log, sqrt, abs, tanh, sigmoid, relu, silu, geluErf, geluTanh
    case pow(Float)
    case clamp(Float, Float)
}

@inline(__always)
private func forEachChunk(_ n: Int, _ body: (Range<Int>) -> Void) {
    parallelFor(n, grain: 8192, body)
}

func unaryForward(_ f: UnaryFunction, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let p = UncheckedSendable((x, y))
    forEachChunk(n) { r in
        let x = p.value.0, y = p.value.1
        switch f {
        case .exp: for i in r { y[i] = fastExp(x[i]) }
        case .log: for i in r { y[i] = logf(x[i]) }
        case .sqrt: for i in r { y[i] = x[i].squareRoot() }
        case .abs: for i in r { y[i] = x[i] < 0 ? -x[i] : x[i] }
        case .tanh: for i in r { y[i] = fastTanh(x[i]) }
        case .sigmoid: for i in r { y[i] = fastSigmoid(x[i]) }
        case .relu: for i in r { y[i] = x[i] > 0 ? x[i] : 0 }
        case .silu: for i in r { y[i] = x[i] * fastSigmoid(x[i]) }
        case .geluErf: for i in r { y[i] = geluErf(x[i]) }
        case .geluTanh: for i in r { y[i] = geluTanh(x[i]) }
        case .pow(let e):
            if e == 2 { for i in r { y[i] = x[i] * x[i] } } else { for i in r { y[i] = powf(x[i], e) } }
        case .clamp(let lo, let hi): for i in r { let v = x[i]; y[i] = v < lo ? lo : (v > hi ? hi : v) }
        }
    }
}

/// gx = g · f'(x), using the saved output y where that is cheaper.
func unaryBackward(_ f: UnaryFunction, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                   _ g: UnsafeMutablePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ n: Int) {
    let p = UncheckedSendable((x, y, g, gx))
    forEachChunk(n) { r in
        let (x, y, g, gx) = p.value
        switch f {
        case .exp: for i in r { gx[i] = g[i] * y[i] }
        case .log: for i in r { gx[i] = g[i] / x[i] }
        case .sqrt: for i in r { gx[i] = g[i] * 0.5 / y[i] }
        case .abs: for i in r { gx[i] = x[i] > 0 ? g[i] : (x[i] < 0 ? -g[i] : 0) }
        case .tanh: for i in r { gx[i] = g[i] * (1 - y[i] * y[i]) }
        case .sigmoid: for i in r { gx[i] = g[i] * y[i] * (1 - y[i]) }
        case .relu: for i in r { gx[i] = x[i] > 0 ? g[i] : 0 }
        case .silu:
            for i in r {
                let s = fastSigmoid(x[i])
                gx[i] = g[i] * (s + x[i] * s * (1 - s))
            }
        case .geluErf: for i in r { gx[i] = g[i] * geluErfDerivative(x[i]) }
        case .geluTanh: for i in r { gx[i] = g[i] * geluTanhDerivative(x[i]) }
        case .pow(let e):
            if e == 2 { for i in r { gx[i] = g[i] * 2 * x[i] } } else { for i in r { gx[i] = g[i] * e * powf(x[i], e - 1) } }
        case .clamp(let lo, let hi): for i in r { gx[i] = x[i] >= lo && x[i] <= hi ? g[i] : 0 }
        }
    }
}

/// gx = g ⊙ GELU′(x) over [rows, cols] (`tanhForm` for the tanh approximation) and, in the same
/// pass, columnSums[c] = Σ_r gx[r, c]: a linear's activation backward together with its bias
/// gradient, which would otherwise read all of gx once more (W1's fc1: 3136 × 768 a block). Each
/// range of rows sums into its own row of scratch; the ranges' rows are then added in order.
func geluBackwardSummingColumns(tanhForm: Bool, _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                _ gx: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                columnSums: UnsafeMutablePointer<Float>) {
    let grain = Swift.max(1, 16384 / Swift.max(cols, 1))
    let chunks = parallelChunkCount(rows, grain: grain)
    let partial = Tensor.zeros([Swift.max(chunks, 1) * cols])
    let p = UncheckedSendable((x, g, gx, partial.pointer))
    parallelChunks(rows, grain: grain) { chunk, range in
        let (x, g, gx, partial) = p.value
        let sums = partial + chunk * cols
        for r in range {
            let xr = x + r * cols, gr = g + r * cols, out = gx + r * cols
            if tanhForm {
                for c in 0..<cols {
                    let v = gr[c] * geluTanhDerivative(xr[c])
                    out[c] = v
                    sums[c] += v
                }
            } else {
                for c in 0..<cols {
                    let v = gr[c] * geluErfDerivative(xr[c])
                    out[c] = v
                    sums[c] += v
                }
            }
        }
    }
    columnSums.update(from: partial.pointer, count: cols)
    for chunk in 1..<Swift.max(chunks, 1) {
        let sums = partial.pointer + chunk * cols
        for c in 0..<cols { columnSums[c] += sums[c] }
    }
}
