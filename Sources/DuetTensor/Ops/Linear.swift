// linear: y = x·Wᵀ + b over the last axis, with an optional GELU fused into the output pass.

/// What runs on the GEMM's output in the same pass as the bias.
public enum LinearActivation: Sendable { case none, gelu, geluTanh }

extension Tensor {
    /// y = x·Wᵀ + b. `x` is [..., in], `weight` is [out, in] (PyTorch's layout), `bias` is [out].
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, activation: LinearActivation = .none) -> Tensor {
        profiled(.gemm) {
            let inF = weight.shape[1], outF = weight.shape[0]
            precondition(weight.rank == 2 && x.shape.last == inF, "linear: input \(x.shape) does not match weight \(weight.shape)")
            precondition(bias == nil || bias!.shape == [outF], "linear: bias \(bias!.shape) does not match \(outF) outputs")
            let rows = x.count / Swift.max(inF, 1)
            let outShape = Array(x.shape.dropLast()) + [outF]
            // With an activation, keep the pre-activation: the derivative needs it.
            let pre = Tensor(uninitializedShape: outShape)
            if let bias {
                fillRows(pre.pointer, rows: rows, with: bias.pointer, cols: outF)
            }
            sgemm(transposeA: false, transposeB: true, m: rows, n: outF, k: inF, x.pointer, weight.pointer,
                  beta: bias == nil ? 0 : 1, pre.pointer)
            let out: Tensor
            switch activation {
            case .none: out = pre
            case .gelu, .geluTanh:
                out = Tensor(uninitializedShape: outShape)
                profiled(.gelu) { unaryForward(activation == .gelu ? .geluErf : .geluTanh, pre.pointer, out.pointer, out.count) }
            }
            let saved = activation == .none ? nil : pre.storage
            let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
            return out.recorded("linear", inputs) { g in
                var gh = g
                // With an activation, its derivative and the bias gradient come out of one pass.
                var biasGradient: Tensor?
                if let saved {
                    gh = Tensor(uninitializedShape: outShape)
                    profiled(.gelu) {
                        if let bias, bias.requiresGrad {
                            let sums = Tensor(uninitializedShape: [outF])
                            geluBackwardSummingColumns(tanhForm: activation == .geluTanh, saved.pointer, g.pointer, gh.pointer,
                                                       rows: rows, cols: outF, columnSums: sums.pointer)
                            biasGradient = sums
                        } else {
                            unaryBackward(activation == .gelu ? .geluErf : .geluTanh, saved.pointer, saved.pointer, g.pointer, gh.pointer,
                                          gh.count)
                        }
                    }
                }
                var grads: [Tensor?] = [nil, nil]
                if x.requiresGrad {
                    let gx = Tensor(uninitializedShape: x.shape)
                    sgemm(transposeA: false, transposeB: false, m: rows, n: inF, k: outF, gh.pointer, weight.pointer, gx.pointer)
                    grads[0] = gx
                }
                if weight.requiresGrad {
                    let gw = Tensor(uninitializedShape: weight.shape)
                    sgemm(transposeA: true, transposeB: false, m: outF, n: inF, k: rows, gh.pointer, x.pointer, gw.pointer)
                    grads[1] = gw
                }
                if let bias {
                    grads.append(bias.requiresGrad ? biasGradient ?? sumToShape(gh, [outF]) : nil)
                }
                return grads
            }
        }
    }
}

/// Copies one row of `cols` values into each of `rows` rows.
func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, with row: UnsafePointer<Float>, cols: Int) {
    let p = UncheckedSendable((dst, row))
    parallelFor(rows, grain: Swift.max(1, 16384 / Swift.max(cols, 1))) { r in
        for i in r { (p.value.0 + i * cols).update(from: p.value.1, count: cols) }
    }
}
