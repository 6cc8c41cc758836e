// Fixed sine-cosine position embeddings with MAE's formula in 1-D, 2-D (MAE / AudioMAE, grids
// of h×w) and 3-D (MAE-ST: a quarter of the width for time, the rest for the 2-D grid).
import DuetTensor

public enum SinCosPositionEmbedding {
    /// What a table over `axes` axes (1, 2 or 3) needs its width to be a multiple of: 2 in 1-D
    /// (a sine half and a cosine half), 4 in 2-D (a 1-D table for each axis), 16 in 3-D (a 1-D
    /// table of D/4 for time, a 2-D table of 3D/4 for the grid).
    public static func widthMultiple(axes: Int) -> Int {
        switch axes {
        case 1: return 2
        case 2: return 4
        default: return 16
        }
    }

    /// MAE's get_1d_sincos_pos_embed_from_grid: [sin(p·ω), cos(p·ω)] with ω_i = 10000^(−i/(D/2)).
    public static func oneD(dim: Int, positions: [Float]) -> [Float] {
        precondition(dim % widthMultiple(axes: 1) == 0, "1-D sine-cosine embedding needs an even width, got \(dim)")
        let half = dim / 2
        var out = [Float](repeating: 0, count: positions.count * dim)
        for (row, p) in positions.enumerated() {
            for i in 0..<half {
                let omega = 1 / Foundation.pow(10000, Double(i) / Double(half))
                let angle = Double(p) * omega
                out[row * dim + i] = Float(Foundation.sin(angle))
                out[row * dim + half + i] = Float(Foundation.cos(angle))
            }
        }
        return out
    }

    /// MAE's get_2d_sincos_pos_embed for an h×w grid (tokens row-major over (h, w)): the first
    /// half encodes the column, the second the row, as MAE's meshgrid order makes it.
    public static func twoD(dim: Int, height: Int, width: Int) -> [Float] {
        precondition(dim % widthMultiple(axes: 2) == 0, "2-D sine-cosine embedding needs a width divisible by 4, got \(dim)")
        let cols = (0..<(height * width)).map { Float($0 % width) }
        let rows = (0..<(height * width)).map { Float($0 / width) }
        return interleaveHalves(oneD(dim: dim / 2, positions: cols), oneD(dim: dim / 2, positions: rows),
                                tokens: height * width, dimA: dim / 2, dimB: dim / 2)
    }

    /// MAE-ST's get_3d_sincos_pos_embed for t×h×w tokens (row-major over (t, h, w)): D/4 for
    /// time first, then 3D/4 for the spatial grid.
    public static func threeD(dim: Int, frames: Int, height: Int, width: Int) -> [Float] {
        precondition(dim % widthMultiple(axes: 3) == 0, "3-D sine-cosine embedding needs a width divisible by 16, got \(dim)")
        let temporalDim = dim / 4, spatialDim = dim - temporalDim
        let spatial = twoD(dim: spatialDim, height: height, width: width)
        let temporal = oneD(dim: temporalDim, positions: (0..<frames).map(Float.init))
        let n = frames * height * width, plane = height * width
        var out = [Float](repeating: 0, count: n * dim)
        for t in 0..<frames {
            for s in 0..<plane {
                let row = (t * plane + s) * dim
                for i in 0..<temporalDim { out[row + i] = temporal[t * temporalDim + i] }
                for i in 0..<spatialDim { out[row + temporalDim + i] = spatial[s * spatialDim + i] }
            }
        }
        return out
    }

    /// Rows of a then rows of b, side by side: [tokens, dimA + dimB].
    private static func interleaveHalves(_ a: [Float], _ b: [Float], tokens: Int, dimA: Int, dimB: Int) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * (dimA + dimB))
        for t in 0..<tokens {
            for i in 0..<dimA { out[t * (dimA + dimB) + i] = a[t * dimA + i] }
            for i in 0..<dimB { out[t * (dimA + dimB) + dimA + i] = b[t * dimB + i] }
        }
        return out
    }
}

import Foundation
