// data2vec2: the targets (top-K instance-normalised FFN outputs), the 1/√D-scaled loss over K
// masked clones and the spread monitors, each recomputed here by loops; the EMA schedule's
// values and update; the collapse abort.
import Foundation
import Testing
import DuetModels
import DuetNN
import DuetTensor
@testable import DuetObjectives

@Suite struct Data2Vec2Tests {
    static let grid = TokenGrid.image(channels: 1, height: 16, width: 8, patch: 4)   // 4 × 2 = 8 tokens

    static func objective(options: Data2Vec2.Options) throws -> Data2Vec2 {
        let student = ParameterStore(seed: 40), teacher = ParameterStore(seed: 40)
        func build(_ b: ParameterBuilder) -> (MAEEncoder, ConvolutionalDecoder) {
            (MAEEncoder(b.scope("audio_encoder"), grid: grid, size: TransformerSize(dim: 8, depth: 3, heads: 2)),
             ConvolutionalDecoder(b.scope("audio_decoder"), inFeatures: 8, dim: 8, outFeatures: 8, grid: [4, 2], layers: 2,
                                  kernel: 3, groups: 2))
        }
        let s = build(student.builder), t = build(teacher.builder)
        student.finalize()
        teacher.finalize()
        let masking = RowExtendedMasking(time: TimeSpanMasking(tokens: 4, ratio: 0.5, spanLength: 1), perRow: 2)
        return try Data2Vec2(store: student, teacherStore: teacher,
                             branches: [.init(modality: .audio, encoder: s.0, decoder: s.1, teacherEncoder: t.0, masking: masking)],
                             options: options)
    }

    /// Targets by loops: per block, per sample and channel, (x − mean_t)/sqrt(var_t + 1e-5) over
    /// the patch tokens; the mean over the top K blocks.
    @Test func targetsAreTopKInstanceNormalisedFFNOutputs() {
        let layers = (0..<3).map { Tensor.randomNormal([2, 5, 4], stream: RandomStream(seed: UInt64(50 + $0))) }
        let y = Data2Vec2Targets.make(ffnOutputs: layers, topK: 2, layerNorm: false)
        #expect(y.shape == [2, 4, 4])
        for b in 0..<2 {
            for c in 0..<4 {
                var expected = [Double](repeating: 0, count: 4)
                for layer in layers.suffix(2) {
                    let values = (1..<5).map { Double(layer.pointer[(b * 5 + $0) * 4 + c]) }
                    let mean = values.reduce(0, +) / 4
                    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
                    for t in 0..<4 { expected[t] += (values[t] - mean) / (variance + 1e-5).squareRoot() / 2 }
                }
                for t in 0..<4 { #expect(abs(Double(y.pointer[(b * 4 + t) * 4 + c]) - expected[t]) < 1e-5) }
            }
        }
        // layer_norm_targets: each token then has mean 0 and variance 1 over its features.
        let normed = Data2Vec2Targets.make(ffnOutputs: layers, topK: 3, layerNorm: true)
        let row = (0..<4).map { Double(normed.pointer[$0]) }
        #expect(abs(row.reduce(0, +)) < 1e-5 && abs(row.map { $0 * $0 }.reduce(0, +) / 4 - 1) < 1e-3)
    }

    @Test func spreadIsTheMeanFeatureStandardDeviation() {
        let x = Tensor(shape: [3, 2], scalars: [1, 10, 2, 20, 3, 60])
        let flags = Tensor(shape: [3], scalars: [1, 0, 1])
        // Rows 0 and 2: column 0 {1, 3} → var 2; column 1 {10, 60} → var 1250 (unbiased).
        let expected = ((2 + 1e-6).squareRoot() + (1250 + 1e-6).squareRoot()) / 2
        #expect(abs(Data2Vec2Targets.spread(x, rowWeights: flags) - expected) < 1e-9)
    }

    @Test func lossIsScaledMSEOverMaskedClones() throws {
        var options = Data2Vec2.Options()
        (options.clones, options.topK) = (3, 2)
        let d2v = try Self.objective(options: options)
        let x = Tensor.randomNormal([2, 1, 16, 8], stream: RandomStream(seed: 60))
        let context = StepContext(step: 3, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 61)))
        let out = try d2v(ObjectiveBatch(audio: x), context: context)
        let branch = d2v.branches[0]
        let (prediction, mask) = try noGrad { () throws in try d2v.student(branch, x, context: context) }
        #expect(prediction.shape == [6, 8, 8] && mask.masked.count == 4, "3 clones of 2 samples, half the rows hidden")
        let targets = Data2Vec2Targets.make(ffnOutputs: noGrad { branch.teacherEncoder.encodeKeepingFFN(x, context: .evaluation).ffn },
                                            topK: 2, layerNorm: false)
        var total = 0.0
        for row in 0..<6 {
            for j in 0..<4 {
                let token = Int(mask.masked.values[row * 4 + j])
                for c in 0..<8 {
                    // Clone k of sample b is row k·B + b: its target is sample b's.
                    let d = Double(prediction.pointer[(row * 8 + token) * 8 + c] - targets.pointer[((row % 2) * 8 + token) * 8 + c])
                    total += d * d / 8.0.squareRoot()
                }
            }
        }
        let expected = total / 24
        #expect(abs(Double(out.loss.item) - expected) < 1e-4 * max(1, expected))
        #expect(out.metrics["masked_pct_audio"] == 0.5 && out.metrics["target_var_audio"]! > 0.5)
        // Clones differ in their masks.
        let rows = (0..<6).map { r in (0..<4).map { mask.masked.values[r * 4 + $0] } }
        #expect(Set(rows).count > 1)
    }

    @Test func emaScheduleAndUpdate() throws {
        var options = Data2Vec2.Options()
        options.momentum = .linear(from: 0.999, to: 0.99999, steps: 100)
        #expect(options.momentum.value(at: 0) == 0.999)
        #expect(abs(options.momentum.value(at: 50) - (0.999 + 0.99999) / 2) < 1e-15)
        #expect(options.momentum.value(at: 100) == 0.99999 && options.momentum.value(at: 7000) == 0.99999)
        let d2v = try Self.objective(options: options)
        let (student, teacher) = (d2v.store.values!, d2v.teacher.teacher.values!)
        #expect((0..<student.count).allSatisfy { student.pointer[$0] == teacher.pointer[$0] }, "the teacher starts as the student")
        for i in 0..<student.count { student.pointer[i] += 1 }
        let before = teacher.copy()
        d2v.afterOptimizerStep(49, totalSteps: 100)
        // After step index 49 the update count is 50: m = the schedule's value at 50.
        let m = options.momentum.value(at: 50)
        let p = d2v.store["audio_encoder.blocks.0.attn.qkv.weight"]!.offset
        #expect(abs(Double(teacher.pointer[p]) - (m * Double(before.pointer[p]) + (1 - m) * Double(student.pointer[p]))) < 1e-6)
        #expect(d2v.checkpointedStores["teacher"] === d2v.teacher.teacher)
    }

    @Test func collapseAbortsWithATypedError() throws {
        var options = Data2Vec2.Options()
        (options.clones, options.topK, options.collapseCheckAfter, options.minTargetVariance) = (1, 1, 10, 1e6)
        let d2v = try Self.objective(options: options)
        let x = Tensor.randomNormal([2, 1, 16, 8], stream: RandomStream(seed: 62))
        _ = try d2v(ObjectiveBatch(audio: x), context: StepContext(step: 10, forward: .evaluation))
        do {
            _ = try d2v(ObjectiveBatch(audio: x), context: StepContext(step: 11, forward: .evaluation))
            Issue.record("no collapse error")
        } catch {
            guard case let .collapsed(_, monitor, _, threshold, step) = error else { Issue.record("\(error)"); return }
            #expect(monitor == "target_var_audio" && threshold == 1e6 && step == 11)
        }
    }

    /// The lip-reading tower as the video branch: each clone's masked frames are zeroed before
    /// the front-end (its 3-D stem reads neighbouring frames), the kept frames' tokens go through
    /// the blocks, and the targets are the teacher's FFN outputs over every frame (no class token).
    @Test func lipReadingTowerMasksFramesInItsInput() throws {
        let student = ParameterStore(seed: 70), teacher = ParameterStore(seed: 70)
        func build(_ b: ParameterBuilder) -> (LipReadingTower, ConvolutionalDecoder) {
            (LipReadingTower(b.scope("video_encoder"), frames: 6, size: TransformerSize(dim: 16, depth: 2, heads: 2),
                             resnet: ResNetOptions.autoAVSR.width(4)),
             ConvolutionalDecoder(b.scope("video_decoder"), inFeatures: 16, dim: 8, outFeatures: 16, grid: [6], layers: 1,
                                  kernel: 3, groups: 2))
        }
        let s = build(student.builder), t = build(teacher.builder)
        student.finalize()
        teacher.finalize()
        var options = Data2Vec2.Options()
        (options.clones, options.topK) = (2, 2)
        let masking = TimeSpanMasking(tokens: 6, ratio: 0.5, spanLength: 2)
        let d2v = try Data2Vec2(store: student, teacherStore: teacher,
                                branches: [.init(modality: .video, encoder: s.0, decoder: s.1, teacherEncoder: t.0, masking: masking,
                                                 input: [1, 6, 16, 16])],
                                options: options)
        let x = Tensor.randomNormal([2, 1, 6, 16, 16], stream: RandomStream(seed: 71))
        let mask = masking.mask(batch: 4, stream: RandomStream(seed: 72))
        let context = ForwardContext.evaluation
        let tokens = noGrad { s.0.cloneTokens(x, clones: 2, mask: mask, context: context) }
        #expect(tokens.shape == [4, 6, 16])
        // Row k·B + b is sample b with row k·B + b's masked frames zeroed, through tokens(_:).
        for row in 0..<4 {
            let sample = x.narrowed(axis: 0, start: row % 2, length: 1).copy()
            let frame = 16 * 16
            for j in 0..<mask.masked.count {
                let f = Int(mask.masked.values[row * mask.masked.count + j])
                (sample.pointer + f * frame).update(repeating: 0, count: frame)
            }
            let expected = noGrad { s.0.tokens(sample, context: context) }
            let got = tokens.narrowed(axis: 0, start: row, length: 1).copy()
            #expect((0..<expected.count).allSatisfy { abs(got.pointer[$0] - expected.pointer[$0]) < 1e-5 }, "clone row \(row)")
        }
        // A step: the 1/√D-scaled MSE over each clone's masked frames, against the teacher's
        // top-2 FFN outputs over all six frames (training mode: batch norm's batch statistics).
        let step = StepContext(step: 1, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 73)))
        let out = try d2v(ObjectiveBatch(video: x), context: step)
        let (prediction, stepMask) = try noGrad { () throws in try d2v.student(d2v.branches[0], x, context: step) }
        let targets = Data2Vec2Targets.make(ffnOutputs: noGrad { t.0.encodeKeepingFFN(x, context: step.forward).ffn }, topK: 2,
                                            layerNorm: false, leadingTokens: 0)
        #expect(prediction.shape == [4, 6, 16] && targets.shape == [2, 6, 16] && stepMask.masked.count == 3)
        var total = 0.0
        for row in 0..<4 {
            for j in 0..<3 {
                let frame = Int(stepMask.masked.values[row * 3 + j])
                for c in 0..<16 {
                    let d = Double(prediction.pointer[(row * 6 + frame) * 16 + c] - targets.pointer[((row % 2) * 6 + frame) * 16 + c])
                    total += d * d / 4
                }
            }
        }
        #expect(abs(Double(out.loss.item) - total / 12) < 1e-4 * max(1, total / 12))
        #expect(out.metrics["masked_pct_video"] == 0.5)
        let encoded = try d2v.encode(ObjectiveBatch(video: x), modality: .video, context: context)
        #expect(encoded.shape == [2, 6, 16])
    }
}
