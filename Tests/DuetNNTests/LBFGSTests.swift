// L-BFGS finds the minimum of a badly conditioned quadratic (solved independently) and of
// Rosenbrock's valley, and reports when it ran out of iterations.
import Testing
@testable import DuetNN

@Suite struct LBFGSTests {
    /// f(x) = ½ xᵀAx − bᵀx with A = diag(1, 10, 100): the minimum is A⁻¹b.
    @Test func quadraticReachesItsSolution() {
        let a: [Double] = [1, 10, 100], b: [Double] = [1, -2, 3]
        let result = LBFGS(gradientTolerance: 1e-9).minimize(from: [5, 5, 5]) { (x: [Double]) -> (value: Double, gradient: [Double]) in
            var value = 0.0
            var gradient = [Double](repeating: 0, count: 3)
            for i in 0..<3 {
                value += 0.5 * a[i] * x[i] * x[i] - b[i] * x[i]
                gradient[i] = a[i] * x[i] - b[i]
            }
            return (value, gradient)
        }
        #expect(result.converged)
        for i in 0..<3 {
            let expected: Double = b[i] / a[i]
            #expect(abs(result.x[i] - expected) < 1e-8, "x[\(i)] = \(result.x[i])")
        }
    }

    @Test func rosenbrockReachesOneOne() {
        func rosenbrock(_ x: [Double]) -> (value: Double, gradient: [Double]) {
            let (p, q) = (x[0], x[1])
            return ((1 - p) * (1 - p) + 100 * (q - p * p) * (q - p * p),
                    [-2 * (1 - p) - 400 * p * (q - p * p), 200 * (q - p * p)])
        }
        let result = LBFGS(maxIterations: 1000, gradientTolerance: 1e-8).minimize(from: [-1.2, 1], rosenbrock)
        #expect(result.converged)
        #expect(abs(result.x[0] - 1) < 1e-5 && abs(result.x[1] - 1) < 1e-5, "\(result.x)")
        let stopped = LBFGS(maxIterations: 3).minimize(from: [-1.2, 1], rosenbrock)
        #expect(!stopped.converged && stopped.iterations == 3)
    }
}
