// The losses against finite differences and against slow references computed here in Double
// (or composed of the elementary ops): masked MSE, MAE targets, smooth L1, cosine,
// cross-entropy and InfoNCE. CTC has its own file.
import Foundation
import Testing
import DuetTestSupport
@testable import DuetTensor

/// Records an issue when the scalar `actual` is not within `tolerance` (relative) of `expected`.
func expectScalar(_ actual: Tensor, _ expected: Double, tolerance: Double = 1e-5, _ label: String = "",
                  sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == [], "\(label): a loss is a scalar of shape [], got \(actual.shape)", sourceLocation: sourceLocation)
    let a = Double(actual.item)
    #expect(abs(a - expected) <= tolerance * max(abs(expected), 1e-6), "\(label): \(a) vs \(expected)", sourceLocation: sourceLocation)
}

/// 0/1 weights, about half of them 1.
private func randomMask(_ shape: [Int], seed: UInt64) -> Tensor {
    randomInput(shape, seed: seed, requiresGrad: false).map { $0 > 0 ? 1 : 0 }
}

@Suite struct RegressionLossTests {
    @Test func maskedMSE() {
        let pred = randomInput([2, 5, 7], seed: 1), target = randomInput([2, 5, 7], seed: 2)
        let mask = randomMask([2, 5], seed: 3)
        checkGradients([pred, target]) { mseLoss($0[0], $0[1], mask: mask) }
        checkGradients([pred, target]) { mseLoss($0[0], $0[1]) }
        let composed = noGrad {
            let d = pred - target
            return ((d * d).mean(axis: -1) * mask).sum() / mask.sum()
        }
        expectScalar(noGrad { mseLoss(pred, target, mask: mask) }, Double(composed.item), "masked")
        let plain = noGrad { ((pred - target) * (pred - target)).mean() }
        expectScalar(noGrad { mseLoss(pred, target) }, Double(plain.item), "unmasked")
    }

    @Test func maskedMSEWithNothingMasked() {
        let pred = randomInput([2, 3, 4], seed: 4), target = randomInput([2, 3, 4], seed: 5, requiresGrad: false)
        let loss = mseLoss(pred, target, mask: Tensor.zeros([2, 3]))
        #expect(loss.item == 0)
        loss.backward()
        #expect(pred.grad!.scalars.allSatisfy { $0 == 0 })
    }

    @Test func normalizedPatchTargetsMatchComposedOps() {
        let t = randomInput([3, 4, 10], seed: 6, scale: 3, requiresGrad: false) + 0.5
        let eps: Float = 1e-6
        let composed = (t - t.mean(axis: -1, keepingDims: true)) / (t.variance(axis: -1, keepingDims: true) + eps).sqrt()
        let fused = normalizedPatchTargets(t, eps: eps)
        #expect(fused.shape == t.shape)
        #expect(zip(fused.scalars, composed.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test(arguments: [Float(0.5), 1, 0])
    func smoothL1(beta: Float) {
        let pred = randomInput([3, 4, 5], seed: 7)
        // Away from d = 0, where plain L1 (beta 0) has its kink.
        let target = randomInput([3, 4, 5], seed: 8)
        for i in 0..<pred.count where abs(pred.pointer[i] - target.pointer[i]) < 0.05 { target.pointer[i] += 0.2 }
        checkGradients([pred, target]) { smoothL1Loss($0[0], $0[1], beta: beta) }
        var expected = 0.0
        for i in 0..<pred.count {
            let d = Double(pred.pointer[i] - target.pointer[i])
            expected += abs(d) < Double(beta) ? 0.5 * d * d / Double(beta) : abs(d) - 0.5 * Double(beta)
        }
        expectScalar(noGrad { smoothL1Loss(pred, target, beta: beta) }, expected / Double(pred.count), "beta \(beta)")
    }

    @Test func cosine() {
        let pred = randomInput([2, 3, 6], seed: 9), target = randomInput([2, 3, 6], seed: 10)
        checkGradients([pred, target]) { cosineLoss($0[0], $0[1]) }
        var expected = 0.0
        for r in 0..<6 {
            var xy = 0.0, xx = 0.0, yy = 0.0
            for d in 0..<6 {
                let x = Double(pred.pointer[r * 6 + d]), y = Double(target.pointer[r * 6 + d])
                xy += x * y; xx += x * x; yy += y * y
            }
            expected += 1 - xy / (xx.squareRoot() * yy.squareRoot())
        }
        expectScalar(noGrad { cosineLoss(pred, target) }, expected / 6)
    }

    @Test func cosineOfAZeroRowIsFinite() {
        let pred = Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 2, 3], requiresGrad: true)
        let target = Tensor(shape: [2, 3], scalars: [1, 0, 0, 1, 2, 3])
        let loss = cosineLoss(pred, target)
        expectScalar(loss, 0.5, "a zero row has cos 0, an equal row cos 1")
        loss.backward()
        #expect(pred.grad!.scalars.allSatisfy { $0.isFinite })
    }
}

/// The smoothed, ignore-aware cross-entropy of PyTorch, in Double.
private func referenceCrossEntropy(_ logits: Tensor, _ labels: [Int32], smoothing: Double, ignoreIndex: Int32?) -> Double {
    let classes = logits.shape.last!, rows = logits.count / classes
    var total = 0.0, kept = 0
    for r in 0..<rows where labels[r] != ignoreIndex {
        let x = (0..<classes).map { Double(logits.pointer[r * classes + $0]) }
        let m = x.max()!
        let lse = m + Foundation.log(x.reduce(0) { $0 + Foundation.exp($1 - m) })
        let nll = lse - x[Int(labels[r])]
        let uniform = x.reduce(0) { $0 + (lse - $1) } / Double(classes)
        total += (1 - smoothing) * nll + smoothing * uniform
        kept += 1
    }
    return total / Double(kept)
}

@Suite struct ClassificationLossTests {
    @Test func crossEntropyWithSmoothingAndIgnoredRows() {
        let logits = randomInput([6, 5], seed: 11, scale: 2)
        let labels: [Int32] = [0, 4, -100, 2, 2, 1]
        checkGradients([logits]) { crossEntropyLoss($0[0], labels: labels, labelSmoothing: 0.1) }
        let everyRow = labels.map { $0 < 0 ? 3 : $0 }
        checkGradients([logits]) { crossEntropyLoss($0[0], labels: everyRow, ignoreIndex: nil) }
        expectScalar(noGrad { crossEntropyLoss(logits, labels: labels, labelSmoothing: 0.1) },
                     referenceCrossEntropy(logits, labels, smoothing: 0.1, ignoreIndex: -100), "smoothing 0.1")
        expectScalar(noGrad { crossEntropyLoss(logits, labels: everyRow, ignoreIndex: nil) },
                     referenceCrossEntropy(logits, everyRow, smoothing: 0, ignoreIndex: nil), "plain")
    }

    @Test func crossEntropyOverTokens() {
        // Classes on the last axis of [B, T, C]: one label per token, padding ignored.
        let logits = randomInput([2, 3, 4], seed: 12)
        let labels: [Int32] = [1, 3, -1, 0, -1, -1]
        checkGradients([logits]) { crossEntropyLoss($0[0], labels: labels, labelSmoothing: 0.2, ignoreIndex: -1) }
        expectScalar(noGrad { crossEntropyLoss(logits, labels: labels, labelSmoothing: 0.2, ignoreIndex: -1) },
                     referenceCrossEntropy(logits, labels, smoothing: 0.2, ignoreIndex: -1))
    }

    @Test func crossEntropyWithEveryRowIgnored() {
        let logits = randomInput([2, 3], seed: 13)
        let loss = crossEntropyLoss(logits, labels: [-100, -100])
        #expect(loss.item == 0)
        loss.backward()
        #expect(logits.grad!.scalars.allSatisfy { $0 == 0 })
    }

    @Test func infoNCE() {
        let a = randomInput([4, 6], seed: 14), v = randomInput([4, 6], seed: 15)
        checkGradients([a, v]) { infoNCELoss($0[0], $0[1], temperature: 0.5) }
        // Reference: cosine logits over τ, cross-entropy both ways, in Double.
        let n = 4, d = 6, tau = 0.07
        func unit(_ t: Tensor, _ r: Int) -> [Double] {
            let row = (0..<d).map { Double(t.pointer[r * d + $0]) }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return row.map { $0 / norm }
        }
        var logits = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0..<n { logits[i][j] = zip(unit(a, i), unit(v, j)).reduce(0) { $0 + $1.0 * $1.1 } / tau }
        }
        func ce(_ rows: [[Double]]) -> Double {
            rows.enumerated().reduce(0) { total, item in
                let m = item.element.max()!
                return total + m + Foundation.log(item.element.reduce(0) { $0 + Foundation.exp($1 - m) }) - item.element[item.offset]
            } / Double(n)
        }
        let columns = (0..<n).map { j in (0..<n).map { logits[$0][j] } }
        expectScalar(noGrad { infoNCELoss(a, v, temperature: Float(tau)) }, (ce(logits) + ce(columns)) / 2)
    }
}

/// Loads fixture `name`, runs `loss` on its `in.<input>` tensors (trainable where the file holds
/// `grad.<input>`), and checks `out.loss` and, after back-propagating `upstream.loss`, every
/// `grad.<input>`. Shapes and sizes all come from the file.
func checkLossParity(_ name: String, inputs: [String], gradientTolerance: Double = 1e-4,
                     sourceLocation: SourceLocation = #_sourceLocation,
                     _ loss: (Fixture, [Tensor]) throws -> Tensor) throws {
    let fixture = try Fixture.load(name)
    let tensors = try inputs.map { try fixture.tensor("in.\($0)", requiresGrad: fixture.has("grad.\($0)")) }
    let value = try loss(fixture, tensors)
    expectClose(value, try fixture.tensor("out.loss"), tolerance: 1e-5, "\(name) loss", sourceLocation: sourceLocation)
    // The file's loss has shape [1]; ours is a scalar of shape [].
    value.backward(Tensor(shape: [], scalars: [try fixture.tensor("upstream.loss").item]))
    for (input, tensor) in zip(inputs, tensors) where tensor.requiresGrad {
        guard let grad = tensor.grad else {
            Issue.record("\(name): no gradient reached \(input)", sourceLocation: sourceLocation)
            continue
        }
        expectClose(grad, try fixture.tensor("grad.\(input)"), tolerance: gradientTolerance, "\(name) grad.\(input)",
                    sourceLocation: sourceLocation)
    }
}

@Suite struct LossParityTests {
    @Test func maskedMSEOnNormalizedPatches() throws {
        try checkLossParity("loss_mae_normpix", inputs: ["pred", "target", "mask"]) { _, t in
            mseLoss(t[0], normalizedPatchTargets(t[1], eps: 1e-6), mask: t[2])
        }
    }

    @Test func smoothL1() throws {
        try checkLossParity("loss_smooth_l1", inputs: ["pred", "target"]) { f, t in
            smoothL1Loss(t[0], t[1], beta: f.metadataFloat("beta") ?? 1)
        }
    }

    @Test func cosine() throws {
        try checkLossParity("loss_cosine", inputs: ["pred", "target"]) { _, t in cosineLoss(t[0], t[1]) }
    }

    @Test func crossEntropy() throws {
        try checkLossParity("loss_cross_entropy", inputs: ["logits"]) { f, t in
            crossEntropyLoss(t[0], labels: try f.int32s("in.labels"), labelSmoothing: f.metadataFloat("label_smoothing") ?? 0)
        }
    }

    @Test func infoNCE() throws {
        try checkLossParity("loss_infonce", inputs: ["a", "v"]) { f, t in
            infoNCELoss(t[0], t[1], temperature: f.metadataFloat("temperature") ?? 0.07)
        }
    }
}
