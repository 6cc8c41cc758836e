// Arithmetic with broadcasting (add, sub, mul, div), scalar forms, and in-place accumulation.

extension Tensor {
    /// a ⊙ b with NumPy broadcasting, recorded for autograd.
    static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        profiled(.elementwise) {
            guard let shape = broadcastShape(a.shape, b.shape) else {
                preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            let out = Tensor(uninitializedShape: shape)
            binaryKernel(op, a, b, out)
            // Rules keep the output's values through a detached alias: the output holds the rule.
            let y = out.detached()
            switch op {
            case .add:
                return out.recorded("add", [a, b]) { g in
                    [a.requiresGrad ? sumToShape(g, a.shape) : nil, b.requiresGrad ? sumToShape(g, b.shape) : nil]
                }
            case .sub:
                return out.recorded("sub", [a, b]) { g in
                    [a.requiresGrad ? sumToShape(g, a.shape) : nil, b.requiresGrad ? sumToShape(-g, b.shape) : nil]
                }
            case .mul:
                return out.recorded("mul", [a, b]) { g in
                    [a.requiresGrad ? sumToShape(g * b, a.shape) : nil, b.requiresGrad ? sumToShape(g * a, b.shape) : nil]
                }
            case .div:
                return out.recorded("div", [a, b]) { g in
                    let gOverB = g / b
                    return [a.requiresGrad ? sumToShape(gOverB, a.shape) : nil,
                            b.requiresGrad ? sumToShape(-(gOverB * y), b.shape) : nil]
                }
            case .maximum, .minimum:
                return out.recorded(op == .maximum ? "maximum" : "minimum", [a, b]) { g in
                    // The gradient goes to the operand that was selected (to a on ties).
                    let sel = Tensor(uninitializedShape: y.shape)
                    binaryKernel(.sub, y, a, sel)
                    let isA = sel.map { $0 == 0 ? 1 : 0 }
                    return [a.requiresGrad ? sumToShape(g * isA, a.shape) : nil,
                            b.requiresGrad ? sumToShape(g * (1 - isA), b.shape) : nil]
                }
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.div, a, b) }
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.maximum, a, b) }
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.minimum, a, b) }

    /// scale · x + shift in one pass.
    public func affine(scale: Float, shift: Float) -> Tensor {
        profiled(.elementwise) {
            let out = Tensor(uninitializedShape: shape)
            let s = UncheckedSendable((pointer, out.pointer))
            parallelFor(count, grain: 16384) { r in
                for i in r { s.value.1[i] = scale * s.value.0[i] + shift }
            }
            return out.recorded("affine", [self]) { g in [g.affine(scale: scale, shift: 0)] }
        }
    }

    public static prefix func - (x: Tensor) -> Tensor { x.affine(scale: -1, shift: 0) }
    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }

    /// self += other (same shape, or other broadcast over leading rows). Not recorded: for
    /// gradient accumulation and optimizer state.
    public func addInPlace(_ other: Tensor, scale: Float = 1) {
        profiled(.elementwise) {
            if other.count == count {
                let s = UncheckedSendable((pointer, other.pointer))
                parallelFor(count, grain: 16384) { r in
                    for i in r { s.value.0[i] += scale * s.value.1[i] }
                }
            } else {
                // Reads and writes the same index, so self may be the output.
                binaryKernel(.add, self, scale == 1 ? other : other.detached().affine(scale: scale, shift: 0), self)
            }
        }
    }

    /// Sets every element to `value` in place (not recorded).
    public func fill(_ value: Float) {
        pointer.update(repeating: value, count: count)
    }

    /// A new tensor of f(x) per element, not recorded (masks, comparisons, tests).
    public func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let src = pointer, dst = out.pointer
        for i in 0..<count { dst[i] = f(src[i]) }
        return out
    }
}
