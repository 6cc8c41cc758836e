// Blocks beyond timm's plain one: cross-attention (predictors, fusion), LayerScale and drop-path.
import Testing
import DuetTensor
import DuetTestSupport
@testable import DuetNN

@Suite struct BlockTests {
    @Test func crossAttentionBlockGradients() {
        let store = ParameterStore(seed: 3)
        let block = CrossAttentionBlock(store.builder, dim: 8, contextDim: 12, heads: 2)
        store.finalize()
        #expect(store["attn.kv.weight"]?.shape == [16, 12] && store["attn.q.weight"]?.shape == [8, 8])
        let x = Tensor.randomNormal([2, 3, 8], stream: RandomStream(seed: 4)).requiringGrad()
        let context = Tensor.randomNormal([2, 5, 12], stream: RandomStream(seed: 5)).requiringGrad()
        let mask = KeyPaddingMask(lengths: [5, 3], keys: 5)
        checkModuleGradients(store: store, inputs: [x, context]) { block(x, context: context, keyPadding: mask) }
    }

    @Test func layerScaleAndDropPath() {
        let store = ParameterStore(seed: 3)
        let block = Block(store.builder, dim: 8, heads: 2, options: BlockOptions(layerScale: 1e-5, dropPath: 0.5))
        store.finalize()
        #expect(store["ls1.gamma"]!.value.scalars.allSatisfy { $0 == 1e-5 })
        let x = Tensor.randomNormal([16, 3, 8], stream: RandomStream(seed: 6))
        // With γ = 1e-5 the block is nearly the identity; evaluation never drops.
        let y = noGrad { block(x, context: .evaluation) }
        #expect(zip(y.scalars, x.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-3 })
        // Training drops whole samples' branches: some samples are exactly the input.
        let training = ForwardContext(isTraining: true, stream: RandomStream(seed: 7))
        let yt = noGrad { block(x, context: training) }
        let unchanged = (0..<16).filter { b in (0..<24).allSatisfy { yt.pointer[b * 24 + $0] == x.pointer[b * 24 + $0] } }
        #expect(!unchanged.isEmpty && unchanged.count < 16)
        // Gradients through LayerScale and the dropped / kept branches (γ large enough for
        // central differences in Float to resolve the branch parameters).
        let store2 = ParameterStore(seed: 8)
        let scaled = Block(store2.builder, dim: 8, heads: 2, options: BlockOptions(layerScale: 0.5, dropPath: 0.5))
        store2.finalize()
        let small = Tensor.randomNormal([4, 3, 8], stream: RandomStream(seed: 9))
        checkModuleGradients(store: store2, inputs: []) { scaled(small, context: training) }
    }
}
