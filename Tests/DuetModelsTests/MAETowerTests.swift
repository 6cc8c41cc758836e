// MAE towers: MAE's names and shapes, patchify order, and the decoder putting tokens back.
import Testing
import DuetNN
import DuetTensor
@testable import DuetModels

@Suite struct MAETowerTests {
    @Test func patchifyFollowsMAE() {
        // [1, 1, 4, 4] in 2×2 patches: patch (0, 1) holds rows 0-1, columns 2-3.
        let x = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
        let p = Patchify.image(x, patch: (2, 2))
        #expect(p.shape == [1, 4, 4])
        #expect(Array(p.scalars[4..<8]) == [2, 3, 6, 7])
        let v = Tensor(shape: [1, 1, 2, 2, 2], scalars: (0..<8).map(Float.init))
        #expect(Patchify.video(v, tubelet: (2, 2, 2)).scalars == (0..<8).map(Float.init))
    }

    @Test func audioMAENamesShapesAndReconstruction() {
        let store = ParameterStore(seed: 1)
        let grid = TokenGrid.image(channels: 1, height: 32, width: 16, patch: 8)
        let encoder = MAEEncoder(store.builder, grid: grid, size: TransformerSize(dim: 32, depth: 2, heads: 2))
        let decoder = MAEDecoder(store.builder, encoderDim: 32, grid: grid, size: TransformerSize(dim: 16, depth: 1, heads: 2))
        store.finalize()
        #expect(store["pos_embed"]?.shape == [1, 9, 32])
        #expect(store["decoder_pos_embed"]?.shape == [1, 9, 16])
        #expect(store["decoder_blocks.0.attn.qkv.weight"]?.shape == [48, 16])
        #expect(store["decoder_norm.weight"] != nil && store["decoder_pred.weight"]?.shape == [64, 16])
        #expect(store["patch_embed.proj.weight"]?.shape == [32, 1, 8, 8])
        let x = Tensor.randomNormal([2, 1, 32, 16], stream: RandomStream(seed: 2))
        let mask = RandomMasking(tokens: grid.tokens, ratio: 0.75).mask(batch: 2, stream: RandomStream(seed: 4))
        let latent = encoder(x, mask: mask, context: .evaluation)
        #expect(latent.shape == [2, 1 + 2, 32])
        let pred = decoder(latent, mask: mask, context: .evaluation)
        #expect(pred.shape == [2, 8, 64])
        // Every parameter that should learn gets a gradient from the masked loss.
        let target = normalizedPatchTargets(grid.patchify(x))
        mseLoss(pred, target, mask: mask.maskedFlags()).backward()
        for p in store.parameters where p.isTrainable {
            #expect(p.gradient!.scalars.contains { $0 != 0 }, "\(p.name) got no gradient")
        }
    }

    @Test func videoTowerUsesTubelets() {
        let store = ParameterStore(seed: 1)
        let grid = TokenGrid.video(channels: 1, frames: 4, height: 16, width: 16, tubelet: 2, patch: 8)
        let encoder = MAEEncoder(store.builder, grid: grid, size: TransformerSize(dim: 32, depth: 1, heads: 2), classToken: false)
        store.finalize()
        #expect(grid.tokens == 8 && grid.patchValues == 128)
        #expect(store["patch_embed.proj.weight"]?.shape == [32, 1, 2, 8, 8])
        let mask = TubeMasking(frames: 2, spatial: 4, ratio: 0.5).mask(batch: 1, stream: RandomStream(seed: 5))
        let out = encoder(Tensor.randomNormal([1, 1, 4, 16, 16], stream: RandomStream(seed: 6)), mask: mask, context: .evaluation)
        #expect(out.shape == [1, 4, 32])
    }
}
