// AdamW against PyTorch, SGD against a hand computation, decay groups, layer-wise learning-rate
// scales, frozen parameters, optimizer state, and gradient clipping.
import Foundation
import Testing
import DuetTensor
import DuetTestSupport
@testable import DuetNN

@Suite struct OptimizerTests {
    /// A store with one parameter of each group: `w` (decays), `b` (bias), `n` (norm), `t` (token).
    private func smallStore(_ values: [String: [Float]] = [:]) -> ParameterStore {
        let store = ParameterStore()
        let b = store.builder
        let roles: [(String, ParameterRole, [Int])] = [("w", .weight, [2, 3]), ("b", .bias, [3]), ("n", .norm, [3]), ("t", .token, [1, 1, 3])]
        for (name, role, shape) in roles {
            let count = shape.reduce(1, *)
            let initial = values[name] ?? (0..<count).map { Float($0 + 1) * 0.25 - 0.5 }
            _ = b.parameter(name, Tensor(shape: shape, scalars: initial), role: role)
        }
        store.finalize()
        return store
    }

    private func setGradients(_ store: ParameterStore, _ make: (Int) -> Float) {
        let g = store.gradients!
        for i in 0..<g.count { g.pointer[i] = make(i) }
    }

    @Test func adamwMatchesPyTorchOverThreeSteps() throws {
        let fx = try Fixture.load("adamw")
        let w0 = try fx.tensor("in.w0"), grads = try fx.tensor("in.grads"), expected = try fx.tensor("out.w3")
        let lr = try #require(fx.metadataFloat("lr"))
        let store = ParameterStore()
        _ = store.builder.parameter("w", w0, role: .weight)
        store.finalize()
        let adamw = try AdamW(store, beta1: try #require(fx.metadataFloat("beta1")), beta2: try #require(fx.metadataFloat("beta2")),
                              eps: try #require(fx.metadataFloat("eps")), weightDecay: try #require(fx.metadataFloat("weight_decay")))
        let steps = Int(try #require(fx.metadataFloat("steps")))
        #expect(grads.shape == [steps] + w0.shape)
        for s in 0..<steps {
            store.gradients!.pointer.update(from: grads.pointer + s * w0.count, count: w0.count)
            adamw.step(learningRate: lr)
        }
        #expect(adamw.stepCount == steps)
        expectClose(store["w"]!.value, expected, tolerance: 1e-5, "adamw out.w3")
    }

    @Test func sgdMatchesAHandComputation() throws {
        for nesterov in [false, true] {
            let store = smallStore()
            let start = store.values!.scalars
            let (lr, mu, wd): (Float, Float, Float) = (0.1, 0.9, 0.01)
            let sgd = try SGD(store, momentum: mu, nesterov: nesterov, weightDecay: wd)
            var p = start.map(Double.init), buf = [Double](repeating: 0, count: p.count)
            let decays = store.parameters.flatMap { [Bool](repeating: $0.role.decays, count: $0.count) }
            for step in 0..<3 {
                setGradients(store) { Float(($0 * 7 + step * 3) % 5) - 2 }
                for i in p.indices {
                    let d = Double(store.gradients!.pointer[i]) + (decays[i] ? Double(wd) * p[i] : 0)
                    buf[i] = Double(mu) * buf[i] + d
                    p[i] -= Double(lr) * (nesterov ? d + Double(mu) * buf[i] : buf[i])
                }
                sgd.step(learningRate: lr)
            }
            let worst = zip(store.values!.scalars, p).map { abs(Double($0) - $1) }.max()!
            #expect(worst < 1e-6, "nesterov \(nesterov): max error \(worst)")
            #expect(sgd.state.keys.sorted() == ["momentum_buffer.b", "momentum_buffer.n", "momentum_buffer.t", "momentum_buffer.w"])
        }
    }

    @Test func weightDecayOnlyWhereTheRoleDecays() throws {
        // Zero gradients: AdamW's update is 0 / (0 + eps) = 0, leaving only the decoupled decay.
        let store = smallStore()
        let before = store.values!.scalars
        let adamw = try AdamW(store, weightDecay: 0.1)
        adamw.step(learningRate: 0.5)
        for p in store.parameters {
            let old = before[p.offset..<(p.offset + p.count)], now = p.value.scalars
            if p.name == "w" {
                #expect(zip(now, old).allSatisfy { $0 == $1 * (1 - 0.5 * 0.1) })
            } else {
                #expect(Array(old) == now, "\(p.name) decayed")
            }
        }
    }

    @Test func frozenParametersAndBuffersStayPut() throws {
        let store = ParameterStore()
        let b = store.builder
        _ = Linear(b.scope("frozen"), inFeatures: 3, outFeatures: 2)
        _ = Linear(b.scope("head"), inFeatures: 3, outFeatures: 2)
        _ = b.parameter("running_mean", shape: [4], .ones, role: .buffer)
        store.finalize()
        store.setTrainable(false, under: "frozen")
        let before = store.values!.scalars
        setGradients(store) { Float($0 % 3) + 1 }
        let adamw = try AdamW(store, weightDecay: 0.05)
        let sgd = try SGD(store, momentum: 0.9, weightDecay: 0.05)
        adamw.step(learningRate: 1e-2)
        sgd.step(learningRate: 1e-2)
        let after = store.values!.scalars
        for p in store.parameters {
            let changed = (p.offset..<(p.offset + p.count)).contains { after[$0] != before[$0] }
            #expect(changed == p.name.hasPrefix("head"), "\(p.name)")
        }
        #expect(adamw.state.keys.sorted() == ["exp_avg.head.bias", "exp_avg.head.weight", "exp_avg_sq.head.bias", "exp_avg_sq.head.weight"])
        // Unfreezing after the optimizer was made is picked up at the next step.
        store.setTrainable(true, under: "frozen")
        adamw.step(learningRate: 1e-2)
        #expect(store["frozen.weight"]!.value.scalars != Array(before[0..<6]))
    }

    @Test func layerwiseDecayAsBEiTAndMAE() throws {
        let store = ParameterStore()
        let vit = VisionTransformer(store.builder, config: VisionTransformerConfig(imageSize: (8, 8), patch: 4, inChannels: 1,
                                                                                  dim: 8, depth: 2, heads: 2))
        _ = Linear(store.builder.scope("head"), inFeatures: 8, outFeatures: 3)
        store.finalize()
        let scales = LayerwiseDecay.scales(for: store, depth: vit.config.depth, decay: 0.5)
        #expect(scales.count == store.parameters.count)
        let expected: [String: Float] = ["cls_token": 0.125, "pos_embed": 0.125, "patch_embed.proj.weight": 0.125,
                                         "blocks.0.attn.qkv.weight": 0.25, "blocks.0.norm1.bias": 0.25,
                                         "blocks.1.mlp.fc2.weight": 0.5, "norm.weight": 1, "head.bias": 1]
        for (name, scale) in expected { #expect(scales[name] == scale, "\(name)") }
        #expect(LayerwiseDecay.layerID(of: "blocks.11.mlp.fc1.bias", depth: 12) == 12)
        #expect(LayerwiseDecay.layerID(of: "fc_norm.weight", depth: 12) == 13)

        // SGD without momentum moves each parameter by lr × scale × g.
        let before = store.values!.scalars
        setGradients(store) { _ in 1 }
        try SGD(store, lrScales: scales).step(learningRate: 0.5)
        for p in store.parameters {
            let moved = before[p.offset] - p.value.pointer[0]
            #expect(abs(moved - 0.5 * scales[p.name]!) < 1e-6, "\(p.name)")
        }
        #expect(throws: OptimizerError.unknownParameters(["blocks.9.attn.qkv.weight"])) {
            try AdamW(store, lrScales: ["blocks.9.attn.qkv.weight": 1])
        }
    }

    @Test func stateRoundTripsAndChecksNames() throws {
        let store = smallStore()
        setGradients(store) { Float($0) * 0.1 - 0.3 }
        let a = try AdamW(store)
        a.step(learningRate: 1e-3)
        a.step(learningRate: 1e-3)
        // Through a safetensors file, as a checkpoint's optimizer.safetensors would hold it.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("duet-\(UUID().uuidString)-adamw.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensorsWriter.write(a.state, metadata: ["step": String(a.stepCount)], to: url)
        let file = try SafeTensorsFile.read(contentsOf: url)
        let saved = Dictionary(uniqueKeysWithValues: try file.names.map { ($0, try file.tensor($0)) })
        #expect(saved.count == 8 && saved["exp_avg_sq.w"]?.shape == [2, 3])
        let b = try AdamW(store)
        try b.load(state: saved, stepCount: a.stepCount)
        #expect(b.expAvg.scalars == a.expAvg.scalars && b.expAvgSq.scalars == a.expAvgSq.scalars && b.stepCount == 2)
        var broken = saved
        broken["exp_avg.w"] = nil
        broken["exp_avg.extra"] = Tensor.zeros([1])
        broken["exp_avg_sq.b"] = Tensor.zeros([4])
        #expect(throws: OptimizerError.layoutMismatch(what: "AdamW state", missing: ["exp_avg.w"], unexpected: ["exp_avg.extra"],
                                                      mismatched: ["exp_avg_sq.b: shape [3] vs [4]"])) {
            try b.load(state: broken, stepCount: 2)
        }
    }

    @Test func vectorizableSquareRootWithinTwoUlp() {
        #expect(vectorizableSquareRoot(0) == 0)
        var x: Float = 1e-30, worst = 0.0
        while x < 1e30 {
            let exact = Double(x).squareRoot()
            worst = max(worst, abs(Double(vectorizableSquareRoot(x)) - exact) / exact)
            x *= 1.37
        }
        #expect(worst < 2.5e-7)
    }

    @Test func invalidHyperParametersThrow() {
        let store = smallStore()
        #expect(throws: OptimizerError.self) { try AdamW(store, beta1: 1) }
        #expect(throws: OptimizerError.self) { try AdamW(store, eps: -1) }
        #expect(throws: OptimizerError.self) { try SGD(store, nesterov: true) }
        #expect(throws: OptimizerError.storeNotFinalized("AdamW")) { try AdamW(ParameterStore()) }
    }

    @Test func spansCoverEveryTrainableElementOnceWhateverTheSplit() {
        let store = ParameterStore()
        let b = store.builder
        for i in 0..<6 { _ = Linear(b.scope("layers").scope(i), inFeatures: 150, outFeatures: 100) }
        _ = b.parameter("running_var", shape: [7], .ones, role: .buffer)
        store.finalize()
        store.setTrainable(false, under: "layers.1")
        let spans = ArenaSpans(store.parameters) { p in p.isTrainable ? UpdateRule(lrScale: 1, decays: p.role.decays) : nil }
        #expect(spans.total == store.trainableScalarCount && spans.total > 2 << 15)
        var visits = [Int32](repeating: 0, count: store.scalarCount)
        visits.withUnsafeMutableBufferPointer { visits in
            let v = visits.baseAddress!
            spans.parallelForEach { rule, range in
                for i in range { v[i] += 1 }
                let owner = store.parameters.last { $0.offset <= range.lowerBound }!
                #expect(rule.decays == owner.role.decays && range.upperBound <= owner.offset + owner.count, "\(owner.name)")
            }
            // Work ranges that start and end inside spans.
            spans.forEach(work: 1234..<(spans.total - 99)) { _, range in for i in range { v[i] += 1 } }
        }
        let workIndex = store.parameters.filter(\.isTrainable).flatMap { Array($0.offset..<($0.offset + $0.count)) }
        var expected = [Int32](repeating: 0, count: store.scalarCount)
        for (w, i) in workIndex.enumerated() { expected[i] = (1234..<(spans.total - 99)).contains(w) ? 2 : 1 }
        #expect(visits == expected)
    }

    @Test func clippingReportsTheNormAndScalesToTheMaximum() {
        let store = ParameterStore()
        _ = Linear(store.builder.scope("frozen"), inFeatures: 4, outFeatures: 4)
        _ = Linear(store.builder.scope("head"), inFeatures: 300, outFeatures: 200)
        store.finalize()
        store.setTrainable(false, under: "frozen")
        setGradients(store) { Float(($0 * 37) % 11) - 5 }
        let trainable = store.parameters.filter(\.isTrainable)
        let expected = trainable.flatMap { $0.gradient!.scalars }.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let frozenBefore = store["frozen.weight"]!.gradient!.scalars
        #expect(abs(Double(store.gradientNorm()) - expected) / expected < 1e-6)

        let norm = store.clipGradientNorm(maxNorm: 2)
        #expect(abs(Double(norm) - expected) / expected < 1e-6)
        #expect(abs(store.gradientNorm() - 2) < 2e-5)
        #expect(store["frozen.weight"]!.gradient!.scalars == frozenBefore)

        // Below the maximum: nothing changes.
        let unclipped = store.gradients!.scalars
        _ = store.clipGradientNorm(maxNorm: 10)
        #expect(store.gradients!.scalars == unclipped)

        // A non-finite norm is reported and the gradients are left alone.
        store["head.bias"]!.gradient!.pointer[3] = .nan
        let withNaN = store.gradients!.scalars
        #expect(store.clipGradientNorm(maxNorm: 1).isNaN)
        #expect(zip(store.gradients!.scalars, withNaN).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }
}
