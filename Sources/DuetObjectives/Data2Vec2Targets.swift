// data2vec 2.0's regression targets and collapse monitors (fairseq data2vec2.py: make_targets,
// compute_var): the mean over the top-K blocks of instance-normalised FFN outputs, and the
// per-feature spread of targets and predictions that its run aborts on.
import DuetTensor

public enum Data2Vec2Targets {
    /// The targets from each block's FFN output [B, 1 + N, D] (class token first, dropped here):
    /// the last `topK` normalised over the tokens per channel (F.instance_norm, eps 1e-5),
    /// averaged, then layer-normalised without affine when `layerNorm` (the image recipe's
    /// layer_norm_targets). Returns [B, N, D] with no graph.
    public static func make(ffnOutputs: [Tensor], topK: Int, layerNorm: Bool, leadingTokens: Int = 1) -> Tensor {
        precondition(topK >= 1 && topK <= ffnOutputs.count, "top-K \(topK) of \(ffnOutputs.count) blocks")
        return noGrad {
            var sum: Tensor?
            for layer in ffnOutputs.suffix(topK) {
                let n = layer.shape[1] - leadingTokens
                let normalised = layer.narrowed(axis: 1, start: leadingTokens, length: n).instanceNormOverTime(eps: 1e-5)
                sum = sum.map { $0 + normalised } ?? normalised
            }
            let mean = sum! * (1 / Float(topK))
            return layerNorm ? mean.layerNorm(eps: 1e-5) : mean
        }
    }

    /// compute_var: the mean over features of sqrt(unbiased variance over rows + 1e-6), over the
    /// rows of [..., D] whose `rowWeights` entry is non-zero (every row when nil).
    public static func spread(_ x: Tensor, rowWeights: Tensor? = nil) -> Double {
        let d = x.shape.last!
        let rows = x.count / d
        precondition(rowWeights == nil || rowWeights!.count == rows, "one weight per row of \(x.shape)")
        let p = x.pointer
        let w = rowWeights?.pointer
        var sum = [Double](repeating: 0, count: d), squares = [Double](repeating: 0, count: d)
        var n = 0
        sum.withUnsafeMutableBufferPointer { s in
            squares.withUnsafeMutableBufferPointer { q in
                for r in 0..<rows where w == nil || w![r] != 0 {
                    n += 1
                    let row = p + r * d
                    for j in 0..<d {
                        let v = Double(row[j])
                        s[j] += v
                        q[j] += v * v
                    }
                }
            }
        }
        guard n > 1 else { return 0 }
        var total = 0.0
        for j in 0..<d {
            let variance = (squares[j] - sum[j] * sum[j] / Double(n)) / Double(n - 1)
            total += (max(variance, 0) + 1e-6).squareRoot()
        }
        return total / Double(d)
    }
}
