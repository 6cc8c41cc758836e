// mae-audio and mae-video: the loss is MAE's (masked tokens only, normalised targets) and the
// objective refuses batches that do not fit its model.
import Testing
import DuetModels
import DuetNN
import DuetTensor
@testable import DuetObjectives

@Suite struct MaskedAutoencoderTests {
    private func audioObjective() -> MaskedAutoencoder {
        let store = ParameterStore(seed: 1)
        let grid = TokenGrid.image(channels: 1, height: 32, width: 16, patch: 8)
        let mae = MaskedAutoencoder(modality: .audio, store: store, grid: grid, encoderSize: TransformerSize(dim: 32, depth: 1, heads: 2),
                                    decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2),
                                    masking: RandomMasking(tokens: grid.tokens, ratio: 0.75))
        store.finalize()
        return mae
    }

    @Test func lossIsOnMaskedTokensOnly() throws {
        let mae = audioObjective()
        let x = Tensor.randomNormal([2, 1, 32, 16], stream: RandomStream(seed: 2))
        let context = StepContext(step: 0, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 9)))
        let out = try mae(ObjectiveBatch(audio: x), context: context)
        // Recompute by hand: same mask (same stream), loss over hidden patches only.
        let mask = mae.masking.mask(batch: 2, stream: context.stream("mask.audio"))
        let pred = noGrad { mae.decoder(mae.encoder.encodeVisible(x, mask: mask, context: context.forward), mask: mask, context: context.forward) }
        let target = mae.targets(x)
        var total = 0.0
        for b in 0..<2 {
            for j in 0..<mask.masked.count {
                let t = Int(mask.masked.values[b * mask.masked.count + j])
                var s = 0.0
                for c in 0..<64 {
                    let d = Double(pred.pointer[(b * 8 + t) * 64 + c] - target.pointer[(b * 8 + t) * 64 + c])
                    s += d * d
                }
                total += s / 64
            }
        }
        #expect(abs(Double(out.loss.item) - total / Double(2 * mask.masked.count)) < 1e-4)
        #expect(out.metrics["loss"] != nil)
    }

    @Test func wrongBatchesAreClearErrors() {
        let mae = audioObjective()
        let context = StepContext(step: 0, forward: .evaluation)
        #expect(throws: ObjectiveError.self) { try mae(ObjectiveBatch(video: Tensor.zeros([1, 1, 2, 16, 16])), context: context) }
        do {
            _ = try mae(ObjectiveBatch(audio: Tensor.zeros([2, 1, 30, 16])), context: context)
            Issue.record("a 30-frame batch for a 32-frame model was accepted")
        } catch {
            #expect(error.description.contains("[2, 1, 30, 16]"))
        }
    }
}
