// The word classifier's head: names, and what its batch norm is for: a per-channel offset shared by
// every clip (the large common part of mean-pooled features) does not reach the logits.
import Testing
import DuetNN
import DuetTensor
import DuetTestSupport
@testable import DuetModels

@Suite struct ClassificationHeadTests {
    @Test func sharedOffsetsDoNotReachTheLogits() {
        let store = ParameterStore(seed: 5)
        let head = ClassificationHead(store.builder.scope("head"), inFeatures: 6, classes: 4)
        store.finalize()
        #expect(store["head.weight"]?.shape == [4, 6] && store["head.norm.running_mean"]?.shape == [6])
        #expect(store["head.norm.weight"] == nil, "the norm has no affine weights")
        // A trained-looking head, so the logits are not all near zero.
        let weight = store["head.weight"]!.value
        for i in 0..<weight.count { weight.pointer[i] = Float(i % 5) - 2 }
        let pooled = Tensor.randomNormal([8, 6], stream: RandomStream(seed: 2))
        let offset = pooled.copy()
        for row in 0..<8 { for c in 0..<6 { offset.pointer[row * 6 + c] += 40 + Float(c) } }
        let plain = head(pooled, context: ForwardContext(isTraining: true))
        let shifted = head(offset, context: ForwardContext(isTraining: true))
        expectClose(shifted, plain, tolerance: 1e-3, "offset features")
        #expect(plain.scalars.map(abs).max()! > 0.5)

        let without = ClassificationHead(ParameterStore(seed: 5).builder.scope("head"), inFeatures: 6, classes: 4, standardising: false)
        #expect(without.norm == nil)
    }
}
