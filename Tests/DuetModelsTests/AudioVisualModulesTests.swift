// The audio-visual building blocks: data2vec 2.0's convolutional decoder, MAViL's fusion blocks
// and contrastive head (finite-difference gradients), the FFN outputs a block keeps, and the
// masks over token grids (ratios, shared tubes, whole time rows).
import Foundation
import Testing
import DuetModels
import DuetNN
import DuetTensor
import DuetTestSupport

@Suite struct AudioVisualModulesTests {
    @Test func convolutionalDecoderGradients() {
        for grid in [[5], [3, 2], [2, 2, 2]] {
            let store = ParameterStore(seed: 4)
            let decoder = ConvolutionalDecoder(store.builder, inFeatures: 8, dim: 8, outFeatures: 3, grid: grid, layers: 1,
                                               kernel: 3, groups: 2)
            store.finalize()
            let n = grid.reduce(1, *)
            let x = Tensor.randomNormal([2, n, 8], stream: RandomStream(seed: 5)).requiringGrad()
            #expect(decoder(x).shape == [2, n, 3])
            checkModuleGradients(store: store, inputs: [x], eps: 5e-3) { decoder(x) }
        }
    }

    /// One block of the decoder by hand: the grouped convolution (kernel 1 here, so a per-group
    /// matrix product), LayerNorm over channels, GELU, plus the input; then the Linear.
    @Test func convolutionalDecoderMatchesItsDefinition() {
        let store = ParameterStore(seed: 6)
        let decoder = ConvolutionalDecoder(store.builder, inFeatures: 4, dim: 4, outFeatures: 2, grid: [3], layers: 1, kernel: 1, groups: 2)
        store.finalize()
        let x = Tensor.randomNormal([1, 3, 4], stream: RandomStream(seed: 7))
        let out = decoder(x)
        let w = decoder.blocks[0].weight.value.pointer, bias = decoder.blocks[0].bias!.value.pointer
        let pw = decoder.proj.weight.value.pointer, pb = decoder.proj.bias!.value.pointer
        for t in 0..<3 {
            var conv = [Double](repeating: 0, count: 4)
            for o in 0..<4 {
                let g = o / 2
                conv[o] = Double(bias[o])
                for i in 0..<2 { conv[o] += Double(w[o * 2 + i]) * Double(x.pointer[t * 4 + g * 2 + i]) }
            }
            let mean = conv.reduce(0, +) / 4
            let variance = conv.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            let h = (0..<4).map { c -> Double in
                let z = (conv[c] - mean) / (variance + 1e-5).squareRoot()
                return 0.5 * z * (1 + erf(z / 2.0.squareRoot())) + Double(x.pointer[t * 4 + c])
            }
            for o in 0..<2 {
                var expected = Double(pb[o])
                for c in 0..<4 { expected += Double(pw[o * 4 + c]) * h[c] }
                #expect(abs(Double(out.pointer[t * 2 + o]) - expected) < 1e-4)
            }
        }
    }

    @Test func fusionAndHeadGradients() {
        let store = ParameterStore(seed: 8)
        let fusion = FusionEncoder(store.builder.scope("fusion"), size: TransformerSize(dim: 8, depth: 1, heads: 2))
        let head = ContrastiveHead(store.builder.scope("audio_proj"), inFeatures: 8, outFeatures: 3)
        store.finalize()
        #expect(store["fusion.blocks.0.attn.qkv.weight"] != nil && store["audio_proj.weight"]?.shape == [3, 8])
        let a = Tensor.randomNormal([2, 3, 8], stream: RandomStream(seed: 9)).requiringGrad()
        let v = Tensor.randomNormal([2, 4, 8], stream: RandomStream(seed: 10)).requiringGrad()
        let fused = fusion(audio: a, video: v, context: .evaluation)
        #expect(fused.audio.shape == [2, 3, 8] && fused.video.shape == [2, 4, 8])
        checkModuleGradients(store: store, inputs: [a, v]) {
            let f = fusion(audio: a, video: v, context: .evaluation)
            return Tensor.concat([head(f.audio), head(f.video)], axis: 1)
        }
        // The head pools the patch tokens only (the class token first is left out).
        let pooled = meanPooledTokens(a, skipping: 1)
        let expected = (a.pointer[8 + 5] + a.pointer[16 + 5]) / 2
        #expect(abs(pooled.pointer[5] - expected) < 1e-6)
    }

    @Test func blockKeepsItsFFNOutput() {
        let store = ParameterStore(seed: 11)
        let stack = TransformerEncoder(store.builder, dim: 8, depth: 2, heads: 2)
        store.finalize()
        let x = Tensor.randomNormal([2, 5, 8], stream: RandomStream(seed: 12))
        let (out, ffn) = stack.callAsFunctionKeepingFFN(x, context: .evaluation)
        expectClose(out, stack(x, context: .evaluation), tolerance: 1e-6, "output")
        let block = stack.blocks[0]
        let x1 = x + block.attn(block.norm1(x))
        expectClose(ffn[0], block.mlp(block.norm2(x1)), tolerance: 1e-6, "ffn")
        #expect(ffn.count == 2)
    }

    @Test func tubeExtendedMaskIsTheSameInEveryFrame() {
        let spatial = InverseBlockMasking(height: 4, width: 4, ratio: 0.75, blockSize: 2)
        let mask = TubeExtendedMasking(frames: 3, spatial: spatial).mask(batch: 4, stream: RandomStream(seed: 13))
        #expect(mask.keep.count == 3 * 4 && mask.tokens == 48)
        for b in 0..<4 {
            let kept = (0..<mask.keep.count).map { Int(mask.keep.values[b * mask.keep.count + $0]) }
            let frames = (0..<3).map { t in Set(kept.filter { $0 / 16 == t }.map { $0 % 16 }) }
            #expect(frames[0] == frames[1] && frames[1] == frames[2] && frames[0].count == 4)
        }
    }

    @Test func rowExtendedMaskHidesWholeTimeRows() {
        let time = TimeSpanMasking(tokens: 10, ratio: 0.5, spanLength: 2)
        let mask = RowExtendedMasking(time: time, perRow: 4).mask(batch: 3, stream: RandomStream(seed: 14))
        #expect(mask.masked.count == 20 && mask.keep.count == 20)
        for b in 0..<3 {
            let hidden = Set((0..<20).map { Int(mask.masked.values[b * 20 + $0]) })
            for row in 0..<10 {
                let inRow = (0..<4).filter { hidden.contains(row * 4 + $0) }.count
                #expect(inRow == 0 || inRow == 4, "row \(row) partly hidden")
            }
        }
    }
}
