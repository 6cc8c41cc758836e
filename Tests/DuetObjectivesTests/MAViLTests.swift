// mavil: stage 1's loss is the sum of its parts, each recomputed here from the same masks (the
// InfoNCE terms by a hand-written loop, checked against the fixture-checked primitive); stage 2
// regresses the frozen teacher's fused tokens on masked tokens and never moves the teacher.
import Foundation
import Testing
import DuetModels
import DuetNN
import DuetTensor
import DuetTestSupport
@testable import DuetObjectives

@Suite struct MAViLTests {
    static let audioGrid = TokenGrid.image(channels: 1, height: 16, width: 8, patch: 4)   // 8 tokens
    static let videoGrid = TokenGrid.video(channels: 1, frames: 4, height: 8, width: 8, tubelet: 2, patch: 4)  // 8 tokens
    static let size = TransformerSize(dim: 16, depth: 1, heads: 2)

    static func stage1(weights: MAViL.Weights) -> MAViL {
        let store = ParameterStore(seed: 21)
        let mavil = MAViL(store: store, audioGrid: audioGrid, videoGrid: videoGrid, audioSize: size, videoSize: size, fusionDepth: 1,
                          decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2), projectionDim: 6,
                          audioMasking: RandomMasking(tokens: 8, ratio: 0.5), videoMasking: RandomMasking(tokens: 8, ratio: 0.75),
                          weights: weights)
        store.finalize()
        return mavil
    }

    static func batch(_ b: Int = 3) -> ObjectiveBatch {
        ObjectiveBatch(audio: Tensor.randomNormal([b, 1, 16, 8], stream: RandomStream(seed: 22)),
                       video: Tensor.randomNormal([b, 1, 4, 8, 8], stream: RandomStream(seed: 23)))
    }

    /// −(1/2N) Σ_i [log softmax_j(cos(a_i, v_j)/τ)_i + log softmax_j(cos(v_i, a_j)/τ)_i], in Double.
    static func handInfoNCE(_ a: Tensor, _ v: Tensor, temperature: Double) -> Double {
        let (n, d) = (a.shape[0], a.shape[1])
        func row(_ t: Tensor, _ i: Int) -> [Double] { (0..<d).map { Double(t.pointer[i * d + $0]) } }
        func cosine(_ x: [Double], _ y: [Double]) -> Double {
            zip(x, y).map(*).reduce(0, +) / (x.map { $0 * $0 }.reduce(0, +).squareRoot() * y.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        let logits = (0..<n).map { i in (0..<n).map { j in cosine(row(a, i), row(v, j)) / temperature } }
        var total = 0.0
        for i in 0..<n {
            let rowLSE = log((0..<n).map { exp(logits[i][$0]) }.reduce(0, +))
            let columnLSE = log((0..<n).map { exp(logits[$0][i]) }.reduce(0, +))
            total += (rowLSE - logits[i][i]) + (columnLSE - logits[i][i])
        }
        return total / Double(2 * n)
    }

    @Test func stageOneLossIsItsParts() throws {
        let weights = MAViL.Weights(interTemperature: 0.2, intraTemperature: 0.5, inter: 0.3, intra: 0.7)
        let mavil = Self.stage1(weights: weights)
        let batch = Self.batch()
        let context = StepContext(step: 5, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 24)))
        let out = try mavil(batch, context: context)
        #expect(mavil.views == 2)
        let (xa, xv) = (batch.audio!, batch.video!)
        var pooled: [(Tensor, Tensor)] = []
        var reconstruction = 0.0
        try noGrad { () throws in
            for view in 0..<2 {
                let maskA = mavil.audioMasking.mask(batch: 3, stream: context.stream("mask.audio.\(view)"))
                let maskV = mavil.videoMasking.mask(batch: 3, stream: context.stream("mask.video.\(view)"))
                #expect(maskA.keep.count == 4 && maskV.keep.count == 2)
                let a = mavil.towers.audio(xa, mask: maskA, context: context.forward)
                let v = mavil.towers.video.encodeVisible(xv, mask: maskV, context: context.forward)
                #expect(a.shape == [3, 5, 16] && v.shape == [3, 3, 16])
                pooled.append((mavil.audioHead(a), mavil.videoHead(v)))
                let fused = mavil.towers.fusion(audio: a, video: v, context: context.forward)
                let ta = normalizedPatchTargets(Self.audioGrid.patchify(xa))
                let tv = Patchify.videoMAETargets(Self.videoGrid.patchify(xv), channels: 1)
                reconstruction += Double(mseLoss(mavil.audioDecoder(fused.audio, mask: maskA, context: context.forward), ta,
                                                 mask: maskA.maskedFlags()).item)
                reconstruction += Double(mseLoss(mavil.videoDecoder(fused.video, mask: maskV, context: context.forward), tv,
                                                 mask: maskV.maskedFlags()).item)
            }
        }
        let inter = (Self.handInfoNCE(pooled[0].0, pooled[0].1, temperature: 0.2) + Self.handInfoNCE(pooled[1].0, pooled[1].1, temperature: 0.2)) / 2
        let intra = Self.handInfoNCE(pooled[0].0, pooled[1].0, temperature: 0.5) + Self.handInfoNCE(pooled[0].1, pooled[1].1, temperature: 0.5)
        // The primitive agrees with the loop.
        #expect(abs(Double(infoNCELoss(pooled[0].0, pooled[0].1, temperature: 0.2).item) - Self.handInfoNCE(pooled[0].0, pooled[0].1, temperature: 0.2)) < 1e-5)
        let expected = reconstruction / 2 + 0.3 * inter + 0.7 * intra
        #expect(abs(Double(out.loss.item) - expected) < 1e-4 * max(1, expected))
        #expect(abs(out.metrics["inter"]! - inter) < 1e-4 && abs(out.metrics["intra"]! - intra) < 1e-4)
        // Every trainable parameter but the unused class-token positions gets a gradient.
        mavil.store.zeroGradients()
        out.loss.backward()
        for name in ["audio_encoder.blocks.0.attn.qkv.weight", "video_encoder.patch_embed.proj.weight", "fusion.blocks.0.mlp.fc1.weight",
                     "audio_proj.weight", "video_proj.weight", "audio_decoder.decoder_pred.weight", "video_decoder.decoder_pred.weight"] {
            let g = mavil.store[name]!.gradient!
            #expect((0..<g.count).contains { g.pointer[$0] != 0 }, "no gradient for \(name)")
        }
    }

    @Test func oneViewWithoutTheIntraTerm() throws {
        let mavil = Self.stage1(weights: MAViL.Weights(inter: 1, intra: 0))
        #expect(mavil.views == 1)
        let out = try mavil(Self.batch(), context: StepContext(step: 0, forward: ForwardContext(isTraining: true)))
        #expect(out.metrics["intra"] == nil && out.loss.item.isFinite)
        let features = try mavil.encode(Self.batch(), modality: .video, context: .evaluation)
        #expect(features.shape == [3, 8, 16] && !features.requiresGrad)
        #expect(throws: ObjectiveError.self) { try mavil(ObjectiveBatch(audio: Self.batch().audio), context: StepContext(step: 0, forward: .evaluation)) }
    }

    @Test func retrievalComparesInTheSpaceTheInterTermTrains() throws {
        // The inter-modal term's embedding of a clip with nothing masked (its heads over the
        // mean of the patch tokens, class token left out) is what retrieval reads, row for row.
        let mavil = Self.stage1(weights: MAViL.Weights())
        let batch = Self.batch()
        for modality in [Modality.audio, .video] {
            let tokens = try mavil.encode(batch, modality: modality, context: .evaluation)
            let rows = try mavil.retrievalFeatures(batch, tokens: tokens, modality: modality, context: .evaluation)
            let trained = noGrad {
                let x = modality == .audio ? batch.audio! : batch.video!
                let encoder: any MultiMaskTower = modality == .audio ? mavil.towers.audio : mavil.towers.video
                return (modality == .audio ? mavil.audioHead : mavil.videoHead)(encoder(x, context: .evaluation))
            }
            #expect(rows.shape == [3, 6] && !rows.requiresGrad)
            expectClose(rows, trained, tolerance: 1e-5, "\(modality)")
            // Not the pooled tokens themselves: the heads project them.
            #expect(rows.shape != tokens.mean(axis: 1).shape)
        }
    }

    @Test func stageTwoRegressesTheFrozenTeacher() throws {
        let teacherStore = ParameterStore(seed: 30)
        let teacher = MAViLTowers(teacherStore.builder, audioGrid: Self.audioGrid, videoGrid: Self.videoGrid,
                                  audioSize: TransformerSize(dim: 32, depth: 1, heads: 2), videoSize: TransformerSize(dim: 32, depth: 1, heads: 2),
                                  fusionDepth: 1)
        teacherStore.finalize()
        let before = teacherStore.values!.copy()
        let store = ParameterStore(seed: 31)
        let student = MAViLStage2(store: store, audioGrid: Self.audioGrid, videoGrid: Self.videoGrid, audioSize: Self.size,
                                  videoSize: Self.size, fusionDepth: 1, decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2),
                                  teacher: teacher, teacherStore: teacherStore,
                                  audioMasking: RandomMasking(tokens: 8, ratio: 0.5), videoMasking: RandomMasking(tokens: 8, ratio: 0.5))
        store.finalize()
        #expect(store["audio_decoder.decoder_pred.weight"]!.shape == [32, 16], "the decoders predict the teacher's width")
        let batch = Self.batch(2)
        let context = StepContext(step: 1, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 32)))
        let out = try student(batch, context: context)
        let expected = try noGrad { () throws -> Double in
            let targets = teacher.fusedFeatures(audio: batch.audio!, video: batch.video!, context: .evaluation)
            #expect(targets.audio.shape == [2, 8, 32] && targets.video.shape == [2, 8, 32])
            let maskA = student.audioMasking.mask(batch: 2, stream: context.stream("mask.audio"))
            let maskV = student.videoMasking.mask(batch: 2, stream: context.stream("mask.video"))
            let e = student.towers.encode(audio: batch.audio!, video: batch.video!, masks: (maskA, maskV), context: context.forward)
            let f = student.towers.fusion(audio: e.audio, video: e.video, context: context.forward)
            let pa = student.audioDecoder(f.audio, mask: maskA, context: context.forward)
            let pv = student.videoDecoder(f.video, mask: maskV, context: context.forward)
            // By hand: squared error over the teacher's width, averaged over masked tokens.
            func masked(_ p: Tensor, _ t: Tensor, _ mask: TokenMask) -> Double {
                var total = 0.0
                for b in 0..<2 {
                    for j in 0..<mask.masked.count {
                        let token = Int(mask.masked.values[b * mask.masked.count + j])
                        for c in 0..<32 {
                            let d = Double(p.pointer[(b * 8 + token) * 32 + c] - t.pointer[(b * 8 + token) * 32 + c])
                            total += d * d / 32
                        }
                    }
                }
                return total / Double(2 * mask.masked.count)
            }
            return masked(pa, targets.audio, maskA) + masked(pv, targets.video, maskV)
        }
        #expect(abs(Double(out.loss.item) - expected) < 1e-4 * max(1, expected))
        out.loss.backward()
        #expect(teacherStore.parameters.allSatisfy { !$0.isTrainable })
        let g = teacherStore.gradients!
        #expect((0..<g.count).allSatisfy { g.pointer[$0] == 0 }, "the teacher records no graph")
        let after = teacherStore.values!
        #expect((0..<after.count).allSatisfy { after.pointer[$0] == before.pointer[$0] })
    }

    /// RAVEn's lip-reading tower as MAViL's video tower: one token a frame (no class token), the
    /// frame's pixels its patch. The reconstruction term is the MSE of the decoder's output on the
    /// masked frames against each frame's normalised pixels (without norm_pix: the raw pixels).
    @Test func lipReadingTowerIsAVideoTowerWithOneTokenAFrame() throws {
        let store = ParameterStore(seed: 24)
        let frames = TokenGrid.video(channels: 1, frames: 4, height: 16, width: 16, tubelet: 1, patch: 16)
        let mavil = MAViL(store: store, audioGrid: Self.audioGrid, videoGrid: frames, audioSize: Self.size, videoSize: Self.size,
                          fusionDepth: 1, decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2), projectionDim: 6,
                          audioMasking: RandomMasking(tokens: 8, ratio: 0.5),
                          videoMasking: TimeSpanMasking(tokens: 4, ratio: 0.5, spanLength: 1),
                          weights: MAViL.Weights(inter: 0, intra: 0), normalizeTargets: false) { b in
            LipReadingTower(b, frames: 4, size: Self.size, resnet: ResNetOptions.autoAVSR.width(4))
        }
        store.finalize()
        #expect(mavil.towers.video.leadingTokens == 0 && !mavil.videoDecoder.hasClassToken)
        let batch = ObjectiveBatch(audio: Tensor.randomNormal([2, 1, 16, 8], stream: RandomStream(seed: 25)),
                                   video: Tensor.randomNormal([2, 1, 4, 16, 16], stream: RandomStream(seed: 26)))
        let context = StepContext(step: 0, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 27)))
        let out = try mavil(batch, context: context)
        // The same view by hand: the video mask hides two of four frames; the decoder predicts
        // 256 pixels a frame, scored on the hidden frames against the frames' pixels.
        var timer = PartTimer()
        let x = try mavil.inputs(batch)
        let view = try mavil.maskedView(x, view: 0, context: context, timer: &timer)
        #expect(view.encoded.video.shape == [2, 2, 16], "two visible frames, no class token")
        let fused = mavil.towers.fusion(audio: view.encoded.audio, video: view.encoded.video, context: context.forward)
        let prediction = mavil.videoDecoder(fused.video, mask: view.masks.video, context: context.forward)
        #expect(prediction.shape == [2, 4, 256])
        var total = 0.0
        for b in 0..<2 {
            for j in 0..<2 {
                let f = Int(view.masks.video.masked.values[b * 2 + j])
                for k in 0..<256 {
                    let d = Double(prediction.pointer[(b * 4 + f) * 256 + k] - batch.video!.pointer[(b * 4 + f) * 256 + k])
                    total += d * d
                }
            }
        }
        #expect(abs(out.metrics["rec_video"]! - total / (4 * 256)) < 1e-4 * max(1, total / 1024))
        let encoded = try mavil.encode(batch, modality: .video, context: .evaluation)
        #expect(encoded.shape == [2, 4, 16])
        expectClose(try mavil.retrievalFeatures(batch, tokens: encoded, modality: .video, context: .evaluation),
                    noGrad { mavil.videoHead.proj(encoded.mean(axis: 1)) }, tolerance: 1e-5, "the head over every frame's token")
    }

    /// The inter-modal term can align clips at all: on one fixed batch of four unrelated audio and
    /// video pairs, a few dozen AdamW steps on the stage-1 loss with λ_inter dominant take the
    /// InfoNCE well below ln 4, its value when no pair can be told apart.
    @Test func interModalTermAlignsAFixedBatch() throws {
        let mavil = Self.stage1(weights: MAViL.Weights(interTemperature: 0.1, intraTemperature: 0.1, inter: 10, intra: 0))
        let batch = Self.batch(4)
        let optimizer = try AdamW(mavil.store, weightDecay: 0)
        var inter: [Double] = []
        for step in 0..<40 {
            mavil.store.zeroGradients()
            let context = StepContext(step: step, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 30)))
            let out = try mavil(batch, context: context)
            out.loss.backward()
            optimizer.step(learningRate: 1e-3)
            inter.append(out.metrics["inter"]!)
        }
        #expect(inter.suffix(5).allSatisfy { $0 < 0.5 * log(4) && $0 < 0.5 * inter[0] }, "from \(inter[0]) to \(inter.suffix(5))")
    }
}
