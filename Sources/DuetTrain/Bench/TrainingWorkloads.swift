// W1 and W2 of the benchmark workloads (shared/bench/WORKLOADS.md) through Duet's own layers,
// towers, objective and optimizer: one training step each, with the FLOP count the PyTorch
// reference (torch_reference.py) uses, so GFLOP/s compare.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor

/// One training-step workload: a step to time and its FLOP count.
public struct TrainingWorkload {
    public let name: String
    public let flops: Double
    public let step: () -> Void
}

public enum TrainingWorkloads {
    /// W1: a ViT-Tiny encoder (192 wide, 12 blocks, 3 heads, MLP 768, LayerNorm eps 1e-6, exact
    /// GELU, fused qkv) on 16 × 196 random tokens; loss = mean of squares of the output;
    /// backward; AdamW (lr 1e-4, wd 0.05).
    public static func encoderStep(batch: Int = 16, tokens: Int = 196, dim: Int = 192, depth: Int = 12, heads: Int = 3) throws -> TrainingWorkload {
        let store = ParameterStore(seed: 0)
        let encoder = TransformerEncoder(store.builder, dim: dim, depth: depth, heads: heads)
        store.finalize()
        let optimizer = try AdamW(store, weightDecay: 0.05)
        let x = Tensor.randomNormal([batch, tokens, dim], stream: RandomStream(seed: 1))
        let context = ForwardContext(isTraining: true)
        let p = Double(store.trainableScalarCount)
        let flops = 6 * p * Double(batch * tokens) + 12 * Double(depth * batch * tokens * tokens * dim)
        return TrainingWorkload(name: "W1 encoder step (ViT-Tiny, 16×196)", flops: flops) {
            store.zeroGradients()
            let y = encoder(x, context: context)
            (y * y).mean().backward()
            optimizer.step(learningRate: 1e-4)
        }
    }

    /// W2: an AudioMAE step: 16 spectrograms of 128 mels × 256 frames in 16×16 patches (128
    /// tokens), 80% random masking, the ViT-Tiny encoder on the kept tokens, a 128-wide 2-block
    /// 4-head decoder on all tokens, normalised-patch MSE on masked tokens, backward, AdamW.
    /// Duet's MAE keeps int(128·0.2) = 25 tokens plus the class token, where the reference keeps
    /// round(25.6) = 26 and no class token: the same work to within a token.
    public static func maeAudioStep(batch: Int = 16, mels: Int = 128, frames: Int = 256) throws -> TrainingWorkload {
        let store = ParameterStore(seed: 0)
        let grid = TokenGrid.image(channels: 1, height: mels, width: frames, patch: 16)
        let mae = MaskedAutoencoder(modality: .audio, store: store, grid: grid,
                                    encoderSize: TransformerSize(dim: 192, depth: 12, heads: 3),
                                    decoderSize: TransformerSize(dim: 128, depth: 2, heads: 4),
                                    masking: RandomMasking(tokens: grid.tokens, ratio: 0.8))
        store.finalize()
        let optimizer = try AdamW(store, weightDecay: 0.05)
        let batchData = ObjectiveBatch(audio: Tensor.randomNormal([batch, 1, mels, frames], stream: RandomStream(seed: 2)))
        // The reference counts the transformer blocks' parameters (its Encoder), final norm included.
        let encoderParameters = Double((store.parameters(under: "blocks") + store.parameters(under: "norm")).reduce(0) { $0 + $1.count })
        let decoderParameters = Double((store.parameters(under: "decoder_blocks") + store.parameters(under: "decoder_norm"))
            .reduce(0) { $0 + $1.count })
        let flops = 6 * encoderParameters * Double(batch * 26) + 6 * decoderParameters * Double(batch * grid.tokens)
        var step = 0
        return TrainingWorkload(name: "W2 AudioMAE step (16×128×256, 80%)", flops: flops) {
            store.zeroGradients()
            let context = StepContext(step: step, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 3).derived(UInt64(step))))
            // The shapes are built above to fit; an error here is a programming error.
            let output = try! mae(batchData, context: context)
            output.loss.backward()
            optimizer.step(learningRate: 1e-4)
            step += 1
        }
    }
}

extension TrainingWorkloads {
    /// W3: scaled dot-product attention alone, batch 8, 3 heads, 512 tokens, head dim 64,
    /// forward + backward of the sum of the output.
    public static func attentionStep(batch: Int = 8, heads: Int = 3, tokens: Int = 512, headDim: Int = 64) -> TrainingWorkload {
        let shape = [batch, heads, tokens, headDim]
        let q = Tensor.randomNormal(shape, stream: RandomStream(seed: 6)).requiringGrad()
        let k = Tensor.randomNormal(shape, stream: RandomStream(seed: 7)).requiringGrad()
        let v = Tensor.randomNormal(shape, stream: RandomStream(seed: 8)).requiringGrad()
        let ones = Tensor.ones(shape)
        return TrainingWorkload(name: "W3 attention step (8×3×512×64)", flops: 12 * Double(batch * heads * tokens * tokens * headDim)) {
            q.grad = nil; k.grad = nil; v.grad = nil
            Tensor.attention(q, k, v).backward(ones)
        }
    }

    /// The workloads by their names in WORKLOADS.md.
    public static func named(_ name: String) throws -> TrainingWorkload? {
        switch name {
        case "W1": return try encoderStep()
        case "W2": return try maeAudioStep()
        case "W3": return attentionStep()
        default: return nil
        }
    }
}
