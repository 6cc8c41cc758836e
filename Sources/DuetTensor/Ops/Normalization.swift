// Normalisations: layer norm over the last axis (affine optional), instance norm over the time
// axis (data2vec targets) and L2 normalisation.

extension Tensor {
    /// LayerNorm over the last axis with optional affine weight and bias (each [D]).
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        profiled(.layerNorm) {
            let cols = shape.last ?? 1, rows = count / Swift.max(cols, 1)
            precondition(weight == nil || weight!.shape == [cols], "layerNorm weight \(weight!.shape) for \(cols) features")
            precondition(bias == nil || weight != nil, "layerNorm bias without weight")
            precondition(bias == nil || bias!.shape == [cols], "layerNorm bias \(bias!.shape) for \(cols) features")
            let out = Tensor(uninitializedShape: shape)
            let stats = Tensor(uninitializedShape: [2, rows])
            let meanP = stats.pointer, rstdP = stats.pointer + rows
            layerNormForward(pointer, out.pointer, weight: weight?.pointer, bias: bias?.pointer,
                             mean: meanP, rstd: rstdP, rows: rows, cols: cols, eps: eps)
            var inputs = [self]
            if let weight { inputs.append(weight) }
            if let bias { inputs.append(bias) }
            return out.recorded("layerNorm", inputs) { [self] g in
                let dx = requiresGrad ? Tensor(uninitializedShape: shape) : nil
                let dw = weight?.requiresGrad == true ? Tensor(uninitializedShape: [cols]) : nil
                let db = bias?.requiresGrad == true ? Tensor(uninitializedShape: [cols]) : nil
                layerNormBackward(pointer, g.pointer, weight: weight?.pointer, mean: stats.pointer, rstd: stats.pointer + rows,
                                  dx: dx?.pointer, dw: dw?.pointer, db: db?.pointer, rows: rows, cols: cols)
                var grads: [Tensor?] = [dx]
                if weight != nil { grads.append(dw) }
                if bias != nil { grads.append(db) }
                return grads
            }
        }
    }

    /// Each channel of [B, T, C] normalised over T (biased variance), no affine:
    /// F.instance_norm on the transposed tensor, as data2vec builds its targets.
    public func instanceNormOverTime(eps: Float = 1e-5) -> Tensor {
        precondition(rank == 3, "instanceNormOverTime needs [B, T, C], got \(shape)")
        let centred = self - mean(axis: 1, keepingDims: true)
        let variance = (centred * centred).mean(axis: 1, keepingDims: true)
        return centred / (variance + eps).sqrt()
    }

    /// x / max(‖x‖₂, eps) along `axis` (F.normalize).
    public func l2Normalized(axis: Int = -1, eps: Float = 1e-12) -> Tensor {
        let norm = (self * self).sum(axis: axis, keepingDims: true).sqrt().clamped(min: eps)
        return self / norm
    }
}
