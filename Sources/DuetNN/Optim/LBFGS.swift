// Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", algorithm 7.4 with the
// two-loop recursion 7.5) with a backtracking Armijo line search, over one flat vector: for small,
// smooth, full-batch problems such as the linear probe's regularised logistic regression, where
// it reaches the optimum in a few hundred evaluations and, the problem being strictly convex, the
// same optimum from any start (scikit-learn's LogisticRegression uses L-BFGS for that reason).

public struct LBFGS: Sendable {
    /// Curvature pairs kept (scipy and PyTorch default to 10 and 100; 10 suffices at this size).
    public var memory = 10
    public var maxIterations = 500
    /// Stops when the gradient's largest component falls below this (scipy's `pgtol`).
    public var gradientTolerance: Double = 1e-5

    public init(memory: Int = 10, maxIterations: Int = 500, gradientTolerance: Double = 1e-5) {
        precondition(memory > 0 && maxIterations > 0, "L-BFGS needs memory and iterations, got \(memory), \(maxIterations)")
        (self.memory, self.maxIterations, self.gradientTolerance) = (memory, maxIterations, gradientTolerance)
    }

    /// What a minimisation ended with.
    public struct Result: Sendable {
        public var x: [Double]
        public var value: Double
        public var iterations: Int
        /// Whether the gradient tolerance was met (otherwise the iterations or the line search ran out).
        public var converged: Bool
    }

    /// Minimises f from `start`; `objective(x)` returns f(x) and ∇f(x).
    public func minimize(from start: [Double], _ objective: ([Double]) -> (value: Double, gradient: [Double])) -> Result {
        var x = start
        var (f, g) = objective(x)
        var steps: [[Double]] = [], gradientSteps: [[Double]] = [], curvatures: [Double] = []
        for iteration in 0..<maxIterations {
            if meetsTolerance(g) {
                return Result(x: x, value: f, iterations: iteration, converged: true)
            }
            var direction = Self.twoLoop(g, steps, gradientSteps, curvatures).map { -$0 }
            var slope = Self.dot(direction, g)
            if slope >= 0 {
                // Not a descent direction (curvature information gone stale): restart from −∇f.
                (steps, gradientSteps, curvatures) = ([], [], [])
                direction = g.map { -$0 }
                slope = -Self.dot(g, g)
            }
            // The first step has no curvature to scale it: keep it at unit length.
            var t = steps.isEmpty ? min(1, 1 / Self.dot(g, g).squareRoot()) : 1
            var accepted: (x: [Double], f: Double, g: [Double])?
            for _ in 0..<40 {
                let candidate = zip(x, direction).map { $0 + t * $1 }
                let (fc, gc) = objective(candidate)
                if fc.isFinite && fc <= f + 1e-4 * t * slope {
                    accepted = (candidate, fc, gc)
                    break
                }
                t *= 0.5
            }
            guard let next = accepted else { return Result(x: x, value: f, iterations: iteration, converged: false) }
            let s = zip(next.x, x).map { $0 - $1 }, y = zip(next.g, g).map { $0 - $1 }
            let sy = Self.dot(s, y)
            // Keep the pair only when it carries positive curvature (always, for a convex f).
            if sy > 1e-12 {
                steps.append(s)
                gradientSteps.append(y)
                curvatures.append(1 / sy)
                if steps.count > memory {
                    steps.removeFirst()
                    gradientSteps.removeFirst()
                    curvatures.removeFirst()
                }
            }
            (x, f, g) = next
        }
        return Result(x: x, value: f, iterations: maxIterations, converged: meetsTolerance(g))
    }

    func meetsTolerance(_ g: [Double]) -> Bool { g.lazy.map(Swift.abs).max() ?? 0 < gradientTolerance }

    /// H·g for the inverse-Hessian estimate of the stored pairs (the two-loop recursion), scaled
    /// by sᵀy / yᵀy of the newest pair.
    static func twoLoop(_ g: [Double], _ steps: [[Double]], _ gradientSteps: [[Double]], _ curvatures: [Double]) -> [Double] {
        var q = g
        var alphas = [Double](repeating: 0, count: steps.count)
        for i in stride(from: steps.count - 1, through: 0, by: -1) {
            alphas[i] = curvatures[i] * dot(steps[i], q)
            for j in q.indices { q[j] -= alphas[i] * gradientSteps[i][j] }
        }
        if let s = steps.last, let y = gradientSteps.last {
            let gamma = dot(s, y) / dot(y, y)
            for j in q.indices { q[j] *= gamma }
        }
        for i in steps.indices {
            let beta = curvatures[i] * dot(gradientSteps[i], q)
            for j in q.indices { q[j] += steps[i][j] * (alphas[i] - beta) }
        }
        return q
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }
}
