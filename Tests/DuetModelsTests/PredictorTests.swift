// The predictor (mask tokens, positions, blocks, a Linear to the target width) and the towers of
// RAVEn: names, shapes, the mask token standing in for masked steps, finite-difference gradients.
import Testing
import DuetNN
import DuetTensor
import DuetTestSupport
@testable import DuetModels

@Suite struct PredictorTests {
    @Test func namesShapesAndMaskTokens() {
        let store = ParameterStore(seed: 3)
        let predictor = Predictor(store.builder.scope("predictor_v2a"), inFeatures: 12, outFeatures: 10, steps: 5,
                                  size: TransformerSize(dim: 8, depth: 2, heads: 2))
        store.finalize()
        for name in ["embed.weight", "mask_token", "pos_embed", "blocks.1.attn.qkv.weight", "norm.weight", "head.weight"] {
            #expect(store["predictor_v2a." + name] != nil, "\(name)")
        }
        #expect(store["predictor_v2a.mask_token"]?.shape == [1, 1, 8] && store["predictor_v2a.head.weight"]?.shape == [10, 8])
        let x = Tensor.randomNormal([2, 5, 12], stream: RandomStream(seed: 1))
        let flags = FrameMask(flags: [true, false, false, true, false, false, false, true, false, false], batch: 2, steps: 5)
        let y = predictor(x, masked: flags.maskedTensor(), context: .evaluation)
        #expect(y.shape == [2, 5, 10])
        // What a masked step held does not matter: its embedding is the mask token.
        let changed = x.copy()
        changed.pointer[0] += 5
        changed.pointer[(1 * 5 + 1) * 12] += 5
        let y2 = predictor(changed, masked: flags.maskedTensor(), context: .evaluation)
        #expect(y2.scalars[0..<50] == y.scalars[0..<50])
        #expect(y2.scalars[50...] != y.scalars[50...])
    }

    @Test func gradientsMatchFiniteDifferences() {
        let store = ParameterStore(seed: 4)
        let predictor = Predictor(store.builder, inFeatures: 6, outFeatures: 4, steps: 3, size: TransformerSize(dim: 4, depth: 1, heads: 2))
        store.finalize()
        let x = randomInput([2, 3, 6], seed: 8)
        let masked = FrameMask(flags: [false, true, false, true, false, false], batch: 2, steps: 3).maskedTensor()
        checkModuleGradients(store: store, inputs: [x]) { predictor(x, masked: masked, context: .evaluation) }
    }

    @Test func towersGiveOneTokenPerVideoFrame() {
        let store = ParameterStore(seed: 5)
        let lips = LipReadingTower(store.builder.scope("video_encoder"), frames: 4, size: TransformerSize(dim: 16, depth: 2, heads: 2),
                                   resnet: ResNetOptions.autoAVSR.width(4))
        let audio = FilterbankFrameTower(store.builder.scope("audio_encoder"), steps: 4, framesPerToken: 4, mels: 8,
                                         size: TransformerSize(dim: 16, depth: 2, heads: 2))
        store.finalize()
        #expect(store["video_encoder.frontend.frontend3D.0.weight"]?.shape == [4, 1, 5, 7, 7])
        #expect(store["video_encoder.frontend.trunk.layer4.1.conv2.weight"] != nil)
        #expect(store["video_encoder.proj.weight"]?.shape == [16, 32])
        #expect(store["audio_encoder.patch_embed.proj.weight"]?.shape == [16, 1, 4, 8])
        #expect(store["audio_encoder.pos_embed"]?.shape == [1, 4, 16])
        let context = ForwardContext(isTraining: true)
        let v = lips(Tensor.randomNormal([2, 1, 4, 16, 16], stream: RandomStream(seed: 1)), context: context)
        let a = audio(Tensor.randomNormal([2, 1, 16, 8], stream: RandomStream(seed: 2)), context: context)
        #expect(v.shape == [2, 4, 16] && a.shape == [2, 4, 16])
        // The block average is the mean of the residual stream after each block.
        let x = Tensor.randomNormal([2, 1, 16, 8], stream: RandomStream(seed: 2))
        let features = audio.features(x, context: .evaluation, averagingBlocks: true)
        var h = audio.tokens(x, context: .evaluation)
        var sum = [Float](repeating: 0, count: h.count)
        for block in audio.encoder.blocks {
            h = block(h, context: .evaluation)
            for i in 0..<h.count { sum[i] += h.pointer[i] }
        }
        expectClose(features.blockMean!, Tensor(shape: h.shape, scalars: sum.map { $0 / 2 }), tolerance: 1e-5, "block mean")
        expectClose(features.output, audio(x, context: .evaluation), tolerance: 1e-6, "output")
    }

    @Test func tubeletViTAveragesTokensPerStep() {
        let store = ParameterStore(seed: 6)
        let grid = TokenGrid.video(channels: 1, frames: 4, height: 8, width: 8, tubelet: 2, patch: 4)
        let vit = MAEEncoder(store.builder, grid: grid, size: TransformerSize(dim: 16, depth: 1, heads: 2), classToken: false)
        store.finalize()
        #expect(vit.tokensPerStep == 4)
        let tokens = Tensor(shape: [1, 8, 1], scalars: [1, 2, 3, 4, 10, 20, 30, 40])
        #expect(vit.perStep(tokens).scalars == [2.5, 25])
        let out = vit(Tensor.randomNormal([2, 1, 4, 8, 8], stream: RandomStream(seed: 1)), context: .evaluation)
        #expect(vit.perStep(out).shape == [2, 2, 16])
        #expect(vit.keyPadding(stepLengths: [1, 2], steps: 2).valid == [true, true, true, true, false, false, false, false] + Array(repeating: true, count: 8))
    }
}
