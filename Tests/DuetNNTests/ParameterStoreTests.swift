// The parameter store: names, arenas, gradient windows, groups and freezing.
import Testing
import DuetTensor
@testable import DuetNN

@Suite struct ParameterStoreTests {
    @Test func namesAndArenasFollowTimm() {
        let store = ParameterStore(seed: 1)
        let block = Block(store.builder.scope("blocks").scope(0), dim: 8, heads: 2)
        store.finalize()
        #expect(store.names.contains("blocks.0.attn.qkv.weight"))
        #expect(store["blocks.0.attn.qkv.weight"]?.shape == [24, 8])
        #expect(store["blocks.0.mlp.fc2.bias"]?.shape == [8])
        #expect(store.values!.count == store.scalarCount)
        // Gradients land in the arena: one backward fills the windows, one memset clears them.
        let x = Tensor.randomNormal([2, 3, 8], stream: RandomStream(seed: 2))
        block(x, context: .evaluation).sum().backward()
        #expect(store.gradients!.scalars.contains { $0 != 0 })
        #expect(block.attn.qkv.weight.gradient!.storage.pointer == store.gradients!.pointer + block.attn.qkv.weight.offset)
        store.zeroGradients()
        #expect(store.gradients!.scalars.allSatisfy { $0 == 0 })
    }

    @Test func weightDecayGroupsAsMAE() {
        let store = ParameterStore()
        let b = store.builder
        _ = Linear(b.scope("head"), inFeatures: 4, outFeatures: 2)
        _ = LayerNorm(b.scope("norm"), dim: 4)
        _ = LearnedToken(b, dim: 4)
        _ = FixedPositionEmbedding(b, tokens: 2, dim: 4, values: SinCosPositionEmbedding.oneD(dim: 4, positions: [0, 1]))
        store.finalize()
        let decayed = store.parameters.filter { $0.role.decays && $0.isTrainable }.map(\.name)
        #expect(decayed == ["head.weight"])
        #expect(store["pos_embed"]?.isTrainable == false)
    }

    @Test func sameSeedSameWeights() {
        func build() -> [Float] {
            let store = ParameterStore(seed: 7)
            _ = Block(store.builder.scope("blocks").scope(0), dim: 8, heads: 2)
            store.finalize()
            return store.values!.scalars
        }
        #expect(build() == build())
    }

    @Test func mae2DPositionsMatchTheFormula() {
        // MAE: first half encodes the column (w), second the row (h); ω_i = 10000^(−i/(D/4)).
        let table = SinCosPositionEmbedding.twoD(dim: 8, height: 2, width: 3)
        let token = 1 * 3 + 2  // row 1, column 2
        let expected: [Float] = [Float(sin(2.0)), Float(sin(2.0 / 100)), Float(cos(2.0)), Float(cos(2.0 / 100)),
                                 Float(sin(1.0)), Float(sin(1.0 / 100)), Float(cos(1.0)), Float(cos(1.0 / 100))]
        let row = Array(table[(token * 8)..<(token * 8 + 8)])
        #expect(zip(row, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}

import Foundation
