// Multinomial logistic regression with an L2 penalty on the weights, solved to its optimum by
// L-BFGS: mean cross-entropy + λ/2·‖W‖², the objective of scikit-learn's LogisticRegression (with
// C = 1 / (λ·N)) and of CLIP's linear-probe protocol. It is strictly convex, so the fit depends on
// the features, the labels and λ only, never on an initialisation or an order of batches.
import DuetNN
import DuetTensor
import Foundation

struct LogisticRegression {
    /// λ, the weight of ½‖W‖² beside the mean cross-entropy (the bias is not penalised).
    var l2: Double
    var solver = LBFGS(memory: 10, maxIterations: 500, gradientTolerance: 1e-5)

    /// Weights [classes, D] and biases of the fit, with whether L-BFGS met its tolerance.
    struct Fit {
        var weight: [Float]
        var bias: [Float]
        var classes: Int
        var dim: Int
        var converged: Bool

        /// The most likely class of each row of `x` [N, D] (the first on ties).
        func predict(_ x: Tensor) -> [Int32] {
            let logits = noGrad {
                Tensor.matmul(x, Tensor(shape: [classes, dim], scalars: weight), transposeB: true) + Tensor(shape: [classes], scalars: bias)
            }
            return LinearProbe.argmaxRows(logits)
        }
    }

    /// Fits `x` [N, D] (standardised) to `labels` in 0..<classes, starting from zero.
    func fit(_ x: Tensor, labels: [Int32], classes: Int) -> Fit {
        let (n, d) = (x.shape[0], x.shape[1])
        precondition(labels.count == n && labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "one label in 0..<\(classes) per row")
        let weights = classes * d
        var w = [Float](repeating: 0, count: weights)
        var logits = [Float](repeating: 0, count: n * classes)
        var residual = [Float](repeating: 0, count: n * classes)
        var gradW = [Float](repeating: 0, count: weights)
        let result = solver.minimize(from: [Double](repeating: 0, count: weights + classes)) { theta in
            for i in 0..<weights { w[i] = Float(theta[i]) }
            w.withUnsafeBufferPointer { wp in
                logits.withUnsafeMutableBufferPointer { lp in
                    sgemm(transposeA: false, transposeB: true, m: n, n: classes, k: d, x.pointer, wp.baseAddress!, lp.baseAddress!)
                }
            }
            // Softmax and loss per row in Double, not through the Float cross-entropy op: near the
            // optimum the line search compares losses that differ by less than Float resolves.
            // The residual (p − y) / N is the logits' gradient.
            var loss = 0.0
            var gradB = [Double](repeating: 0, count: classes)
            var shifted = [Double](repeating: 0, count: classes)
            for r in 0..<n {
                for c in 0..<classes { shifted[c] = Double(logits[r * classes + c]) + theta[weights + c] }
                let top = shifted.max()!
                var sum = 0.0
                for c in 0..<classes {
                    shifted[c] = Foundation.exp(shifted[c] - top)
                    sum += shifted[c]
                }
                let label = Int(labels[r])
                loss += top + Foundation.log(sum) - (Double(logits[r * classes + label]) + theta[weights + label])
                for c in 0..<classes {
                    let p = shifted[c] / sum
                    let g = (p - (c == label ? 1 : 0)) / Double(n)
                    residual[r * classes + c] = Float(g)
                    gradB[c] += g
                }
            }
            residual.withUnsafeBufferPointer { rp in
                gradW.withUnsafeMutableBufferPointer { gp in
                    sgemm(transposeA: true, transposeB: false, m: classes, n: d, k: n, rp.baseAddress!, x.pointer, gp.baseAddress!)
                }
            }
            var penalty = 0.0
            var gradient = [Double](repeating: 0, count: weights + classes)
            for i in 0..<weights {
                penalty += theta[i] * theta[i]
                gradient[i] = Double(gradW[i]) + l2 * theta[i]
            }
            for c in 0..<classes { gradient[weights + c] = gradB[c] }
            return (loss / Double(n) + 0.5 * l2 * penalty, gradient)
        }
        return Fit(weight: result.x[0..<weights].map { Float($0) }, bias: result.x[weights...].map { Float($0) },
                   classes: classes, dim: d, converged: result.converged)
    }
}
