// A small ViT learns a synthetic task end to end (patch embedding, class token, positions,
// blocks, head, cross-entropy, AdamW with warm-up and cosine): which of 4 patterns an image holds.
import Testing
import DuetTensor
@testable import DuetNN

@Suite struct ViTLearnsTests {
    /// 8×8 one-channel images of horizontal stripes, vertical stripes, a checkerboard or a
    /// diagonal band, with per-image phase, contrast and noise; labels 0-3.
    private func batch(_ n: Int, stream: RandomStream) -> (Tensor, [Int32]) {
        var pixels = [Float](repeating: 0, count: n * 64)
        var labels: [Int32] = []
        for i in 0..<n {
            let s = stream.derived(UInt64(i))
            let label = s.integer(0, below: 4), phase = s.integer(1, below: 2)
            let contrast = 0.5 + s.uniform(2)
            for r in 0..<8 {
                for c in 0..<8 {
                    let on: Bool
                    switch label {
                    case 0: on = (r + phase) % 2 == 0
                    case 1: on = (c + phase) % 2 == 0
                    case 2: on = (r + c + phase) % 2 == 0
                    default: on = Swift.abs(r - c - phase) <= 1
                    }
                    pixels[i * 64 + r * 8 + c] = (on ? contrast : -contrast) + 0.3 * s.normal(3 + r * 8 + c)
                }
            }
            labels.append(Int32(label))
        }
        return (Tensor(shape: [n, 1, 8, 8], scalars: pixels), labels)
    }

    @Test func tinyViTClassifiesPatterns() throws {
        let store = ParameterStore(seed: 0)
        let vit = VisionTransformer(store.builder, config: VisionTransformerConfig(imageSize: (8, 8), patch: 4, inChannels: 1,
                                                                                dim: 32, depth: 1, heads: 2))
        let head = Linear(store.builder.scope("head"), inFeatures: 32, outFeatures: 4)
        store.finalize()
        let optimizer = try AdamW(store, weightDecay: 0.05)
        let steps = 80
        let schedule = LearningRateSchedule.warmupCosine(peak: 3e-3, warmupSteps: 8, totalSteps: steps)
        let data = RandomStream(seed: 1)
        var firstLoss: Float = 0
        for step in 0..<steps {
            let (x, y) = batch(32, stream: data.derived(UInt64(step)))
            store.zeroGradients()
            let features = vit.forwardFeatures(x, context: ForwardContext(isTraining: true))
            let loss = crossEntropyLoss(head(features.narrowed(axis: 1, start: 0, length: 1).reshaped([32, 32])), labels: y)
            if step == 0 { firstLoss = loss.item }
            loss.backward()
            optimizer.step(learningRate: schedule.value(at: step))
        }
        let (x, y) = batch(256, stream: RandomStream(seed: 2))
        let logits = noGrad { head(vit.forwardFeatures(x).narrowed(axis: 1, start: 0, length: 1).reshaped([256, 32])) }
        var correct = 0
        for i in 0..<256 {
            let row = Array(logits.scalars[(i * 4)..<(i * 4 + 4)])
            if row.firstIndex(of: row.max()!) == Int(y[i]) { correct += 1 }
        }
        let accuracy = Double(correct) / 256
        #expect(firstLoss > 1.2, "an untrained model starts near ln 4")
        #expect(accuracy >= 0.9, "held-out accuracy \(accuracy) after \(steps) steps")
    }
}
