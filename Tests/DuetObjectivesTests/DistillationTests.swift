// mvd, distill-audio, dmae, mimco and mae-image: the losses are the papers' (checked by hand on
// small models), the student's gradients pass finite differences, and teachers take no gradient.
import Foundation
import Testing
import DuetModels
import DuetNN
import DuetTensor
import DuetTestSupport
@testable import DuetObjectives

/// Central differences of the scalar `loss()` against the first `count` entries of each named
/// parameter of `store` (every part of a composite objective, at a cost a debug build can pay).
func checkParameterGradients(store: ParameterStore, names: [String], count: Int = 12, eps: Float = 1e-2, tolerance: Double = 3e-2,
                             sourceLocation: SourceLocation = #_sourceLocation, _ loss: () -> Tensor) {
    store.zeroGradients()
    loss().backward()
    for name in names {
        guard let p = store[name] else { Issue.record("no parameter \(name)", sourceLocation: sourceLocation); continue }
        var worst = 0.0, scale = 1e-3
        for i in stride(from: 0, to: p.count, by: max(1, p.count / count)) {
            let keep = p.value.pointer[i]
            p.value.pointer[i] = keep + eps
            let up = Double(noGrad { loss() }.item)
            p.value.pointer[i] = keep - eps
            let down = Double(noGrad { loss() }.item)
            p.value.pointer[i] = keep
            let numeric = (up - down) / (2 * Double(eps))
            worst = max(worst, abs(numeric - Double(p.gradient!.pointer[i])))
            scale = max(scale, abs(numeric))
        }
        #expect(worst / scale < tolerance, "\(name): max |analytic - numeric| = \(worst), scale \(scale)", sourceLocation: sourceLocation)
    }
}

@Suite struct DistillationTests {
    static let video = TokenGrid.video(channels: 1, frames: 4, height: 8, width: 8, tubelet: 2, patch: 4)
    static let frame = TokenGrid.image(channels: 1, height: 8, width: 8, patch: 4)

    /// A random teacher over `grid`, written to a file and loaded back as a frozen teacher.
    static func teacher(_ grid: TokenGrid, dim: Int = 16, depth: Int = 2, seed: UInt64, through: Int? = nil) throws -> TeacherEncoder {
        let store = ParameterStore(seed: seed)
        _ = MAEEncoder(store.builder, grid: grid, size: TransformerSize(dim: dim, depth: depth, heads: 2, mlpRatio: 2))
        store.finalize()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("duet-distill-\(ProcessInfo.processInfo.processIdentifier)-\(seed).safetensors")
        try store.save(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try TeacherEncoder(contentsOf: url, grid: grid, through: through, heads: 2)
    }

    static func context(_ seed: UInt64 = 9) -> StepContext {
        StepContext(step: 0, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: seed)))
    }

    static func mvd(normalize: Bool = true, visibleLossWeight: Float = 0) throws -> MaskedVideoDistillation {
        let store = ParameterStore(seed: 1)
        let objective = MaskedVideoDistillation(
            name: "mvd", modality: .video, store: store, grid: video, encoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1),
            decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1),
            teachers: [("img", try teacher(frame, dim: 12, seed: 2), .framesEvery(2), 1), ("vid", try teacher(video, seed: 3), .sameTokens, 0.5)],
            masking: TubeMasking(frames: 2, spatial: 4, ratio: 0.5), normalizeTargets: normalize, visibleLossWeight: visibleLossWeight)
        store.finalize()
        return objective
    }

    /// Mean smooth L1 (β = 1) between two tensors of the same size, in Double.
    static func smoothL1(_ p: Tensor, _ g: Tensor) -> Double {
        var sum = 0.0
        for i in 0..<g.count {
            let d = abs(Double(p.pointer[i] - g.pointer[i]))
            sum += d < 1 ? 0.5 * d * d : d - 0.5
        }
        return sum / Double(g.count)
    }

    @Test func framesLineUpWithTubelets() {
        // Frame t of clip b holds the value 10·b + t everywhere.
        let values: [Float] = (0..<32).map { (i: Int) -> Float in Float(10 * (i / 16) + (i / 4) % 4) }
        let x = Tensor(shape: [2, 1, 4, 2, 2], scalars: values)
        let frames = VideoFrames.sampled(x, stride: 2)
        #expect(frames.shape == [4, 1, 2, 2])
        #expect((0..<4).map { frames.pointer[$0 * 4] } == [0, 2, 10, 12])
        // Per-frame tokens [B·T', L, D] regroup as the tubelet order (t, h, w) of each clip.
        let tokens = Tensor(shape: [4, 3, 1], scalars: (0..<12).map(Float.init))
        #expect(VideoFrames.regrouped(tokens, clips: 2).shape == [2, 6, 1])
    }

    @Test func mvdLossIsSmoothL1OnHiddenTokensOfEachTeacher() throws {
        let mvd = try Self.mvd()
        let x = Tensor.randomNormal([2, 1, 4, 8, 8], stream: RandomStream(seed: 4))
        let context = Self.context()
        let out = try mvd(ObjectiveBatch(video: x), context: context)
        let mask = mvd.masking.mask(batch: 2, stream: context.stream("mask.video"))
        let latent = noGrad { mvd.encoder.encodeVisible(x, mask: mask, context: context.forward) }
        var expected = 0.0
        for target in mvd.targets {
            let raw: Tensor
            if target.name == "img" {
                // The image teacher on frames 0 and 2 of each clip, its 4 patches per frame in order.
                raw = VideoFrames.regrouped(target.teacher.features(VideoFrames.sampled(x, stride: 2), through: nil), clips: 2)
            } else {
                raw = target.teacher.features(x, through: nil)
            }
            #expect(raw.shape == [2, 8, target.teacher.dim])
            let goal = raw.layerNorm(eps: 1e-6).gatheringTokens(mask.masked)
            let pred = noGrad { target.decoder(latent, mask: mask, context: context.forward) }
            expected += Double(target.weight) * Self.smoothL1(pred, goal)
        }
        #expect(abs(Double(out.loss.item) - expected) < 1e-5)
        #expect(out.metrics["loss_img"] != nil && out.metrics["loss_vid"] != nil)
        // The student store holds the student and both decoders, never a teacher.
        #expect(mvd.store["decoder_img.head.weight"]?.shape == [12, 16] && mvd.store["decoder_vid.head.weight"]?.shape == [16, 16])
        #expect(mvd.store["down_img.weight"] != nil && mvd.store["cls_token"] == nil)
    }

    /// With `visible_loss_weight` w each teacher's term is MVD's hidden-token loss plus w times the
    /// same smooth L1 between the decoder's predictions and the teacher's features at the visible tokens.
    @Test func visibleLossAddsSmoothL1OnTheVisibleTokens() throws {
        let mvd = try Self.mvd(visibleLossWeight: 0.25)
        let x = Tensor.randomNormal([2, 1, 4, 8, 8], stream: RandomStream(seed: 5))
        let context = Self.context(11)
        let out = try mvd(ObjectiveBatch(video: x), context: context)
        let mask = mvd.masking.mask(batch: 2, stream: context.stream("mask.video"))
        let latent = noGrad { mvd.encoder.encodeVisible(x, mask: mask, context: context.forward) }
        var expected = 0.0
        for target in mvd.targets {
            let goal = target.features(of: x, layerNorm: true)
            let all = noGrad { target.decoder.allTokens(latent, mask: mask, context: context.forward) }
            // The hidden tokens' predictions are the ones MVD's decoder reads out.
            let hidden = noGrad { target.decoder(latent, mask: mask, context: context.forward) }
            #expect(Self.smoothL1(all.gatheringTokens(mask.masked), hidden) < 1e-10)
            let visible = Self.smoothL1(all.gatheringTokens(mask.keep), goal.gatheringTokens(mask.keep))
            #expect(visible > 0.01)
            #expect(abs(out.metrics["loss_\(target.name)_visible"]! - visible) < 1e-5)
            expected += Double(target.weight) * (Self.smoothL1(hidden, goal.gatheringTokens(mask.masked)) + 0.25 * visible)
        }
        #expect(abs(Double(out.loss.item) - expected) < 1e-5)
    }

    /// RAVEn's lip-reading tower as the student (one token a frame over a grid of whole frames):
    /// the image teacher's patch tokens of every frame are averaged into that frame's target, the
    /// hidden frames are zeroed in the student's input and scored, as with a ViT student.
    @Test func lipReadingStudentLearnsFramePooledImageTargets() throws {
        let frames = TokenGrid.video(channels: 1, frames: 4, height: 8, width: 8, tubelet: 1, patch: 8)
        let store = ParameterStore(seed: 5)
        let size = TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1)
        let imageTeacher = try Self.teacher(Self.frame, dim: 12, seed: 6)
        let mvd = MaskedVideoDistillation(
            name: "mvd", modality: .video, store: store, grid: frames, encoderSize: size, decoderSize: size,
            teachers: [("img", imageTeacher, .framePooled, 1)], masking: TimeSpanMasking(tokens: 4, ratio: 0.5, spanLength: 1),
            normalizeTargets: false) { b in
            LipReadingTower(b.scope("video_encoder"), frames: 4, size: size, resnet: ResNetOptions.autoAVSR.width(4))
        }
        store.finalize()
        let x = Tensor.randomNormal([2, 1, 4, 8, 8], stream: RandomStream(seed: 7))
        let context = Self.context()
        let out = try mvd(ObjectiveBatch(video: x), context: context)
        // Frame t of clip b: the mean of the teacher's 4 patch tokens of that frame alone.
        let targets = mvd.targets[0].features(of: x, layerNorm: false)
        #expect(targets.shape == [2, 4, 12])
        for b in 0..<2 {
            for t in 0..<4 {
                let frame = x.narrowed(axis: 0, start: b, length: 1).narrowed(axis: 2, start: t, length: 1).reshaped([1, 1, 8, 8])
                let mean = noGrad { imageTeacher.features(frame, through: nil).mean(axis: 1) }
                for c in 0..<12 { #expect(abs(targets.pointer[(b * 4 + t) * 12 + c] - mean.pointer[c]) < 1e-5) }
            }
        }
        let mask = mvd.masking.mask(batch: 2, stream: context.stream("mask.video"))
        let latent = noGrad { mvd.encoder.encodeVisible(x, mask: mask, context: context.forward) }
        #expect(latent.shape == [2, 2, 16], "two visible frames a clip, no class token")
        let pred = noGrad { mvd.targets[0].decoder(latent, mask: mask, context: context.forward) }
        #expect(abs(Double(out.loss.item) - Self.smoothL1(pred, targets.gatheringTokens(mask.masked))) < 1e-5)
        #expect(try mvd.encode(ObjectiveBatch(video: x), modality: .video, context: .evaluation).shape == [2, 4, 16])
        // mae-video with the same student: each hidden frame's 64 pixels reconstructed.
        let maeStore = ParameterStore(seed: 8)
        let mae = MaskedAutoencoder(modality: .video, store: maeStore, grid: frames, encoderSize: size, decoderSize: size,
                                    masking: TimeSpanMasking(tokens: 4, ratio: 0.5, spanLength: 1), normalizeTargets: false) { b in
            LipReadingTower(b.scope("video_encoder"), frames: 4, size: size, resnet: ResNetOptions.autoAVSR.width(4))
        }
        maeStore.finalize()
        #expect(!mae.decoder.hasClassToken && mae.targets(x).shape == [2, 4, 64])
        let maeLoss = try mae(ObjectiveBatch(video: x), context: context)
        #expect(maeLoss.loss.item.isFinite && maeLoss.loss.item > 0)
    }

    @Test func mvdGradientsPassFiniteDifferences() throws {
        let mvd = try Self.mvd(normalize: false)
        let x = Tensor.randomNormal([1, 1, 4, 8, 8], stream: RandomStream(seed: 6))
        let context = Self.context(11)
        let names = ["patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.0.mlp.fc2.bias", "norm.weight", "down_img.weight",
                     "mask_token_img", "decoder_img.blocks.0.attn.proj.weight", "decoder_img.head.weight", "down_vid.bias",
                     "mask_token_vid", "decoder_vid.norm.bias", "decoder_vid.head.bias"]
        checkParameterGradients(store: mvd.store, names: names) {
            (try? mvd(ObjectiveBatch(video: x), context: context).loss) ?? Tensor.zeros([])
        }
        for target in mvd.targets { #expect(target.teacher.store.parameters.allSatisfy { !$0.isTrainable }) }
    }

    static func dmae() throws -> DistilledMaskedAutoencoder {
        let store = ParameterStore(seed: 7)
        let objective = DistilledMaskedAutoencoder(
            modality: .video, store: store, grid: video, encoderSize: TransformerSize(dim: 16, depth: 2, heads: 2, mlpRatio: 1),
            decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1), masking: TubeMasking(frames: 2, spatial: 4, ratio: 0.5),
            teacher: try teacher(video, dim: 32, depth: 3, seed: 8, through: 1), studentBlock: 0)
        store.finalize()
        return objective
    }

    @Test func dmaeAddsL1BetweenNormalisedFeaturesOnTheSameVisibleTokens() throws {
        let dmae = try Self.dmae()
        #expect(dmae.teacherBlock == 1 && dmae.teacher.blocks.count == 2)
        #expect(dmae.store["aligned_feature_projection_heads.0.weight"]?.shape == [32, 16])
        let x = Tensor.randomNormal([2, 1, 4, 8, 8], stream: RandomStream(seed: 5))
        let context = Self.context()
        let out = try dmae(ObjectiveBatch(video: x), context: context)
        let mask = dmae.mae.masking.mask(batch: 2, stream: context.stream("mask.video"))
        let (latent, aligned) = noGrad { dmae.encode(x, mask: mask, context: context.forward) }
        let pixel = noGrad { mseLoss(dmae.mae.decoder(latent, mask: mask, context: context.forward), dmae.mae.targets(x), mask: mask.maskedFlags()) }
        // Both have a class token: the teacher runs the class token and the student's visible tubelets.
        let teacher = dmae.teacher.features(x, keep: mask.keep, classToken: true).l2Normalized()
        #expect(teacher.shape == [2, 1 + mask.keep.count, 32])
        let student = noGrad { dmae.projection(aligned).l2Normalized() }
        var l1 = 0.0
        for i in 0..<teacher.count { l1 += abs(Double(teacher.pointer[i] - student.pointer[i])) }
        #expect(abs(Double(out.loss.item) - (Double(pixel.item) + l1 / Double(teacher.count))) < 1e-5)
        // L1 has a kink at every zero difference: small steps keep the differences on one side.
        let names = ["patch_embed.proj.weight", "cls_token", "blocks.0.attn.qkv.weight", "blocks.1.mlp.fc1.weight", "norm.bias",
                     "aligned_feature_projection_heads.0.weight", "aligned_feature_projection_heads.0.bias", "decoder_embed.weight",
                     "decoder_pred.weight"]
        checkParameterGradients(store: dmae.store, names: names, eps: 2e-3, tolerance: 5e-2) {
            (try? dmae(ObjectiveBatch(video: x.narrowed(axis: 0, start: 0, length: 1)), context: context).loss) ?? Tensor.zeros([])
        }
    }

    static func mimco() throws -> MimCo {
        let store = ParameterStore(seed: 12)
        let objective = MimCo(modality: .video, store: store, grid: video, encoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1),
                              decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1), teacher: try teacher(video, dim: 32, seed: 13),
                              masking: TubeMasking(frames: 2, spatial: 4, ratio: 0.5), temperature: 0.2)
        store.finalize()
        return objective
    }

    @Test func mimcoReconstructsPatchesAndTheClipContrastively() throws {
        let mimco = try Self.mimco()
        let x = Tensor.randomNormal([3, 1, 4, 8, 8], stream: RandomStream(seed: 14))
        let context = Self.context()
        let out = try mimco(ObjectiveBatch(video: x), context: context)
        let mask = mimco.masking.mask(batch: 3, stream: context.stream("mask.video"))
        let target = mimco.teacher.features(x)
        let pred = noGrad { mimco.decoder.allTokens(mimco.encoder.encodeVisible(x, mask: mask, context: context.forward), mask: mask, context: context.forward) }
        /// −log softmax of row i's cosine/τ against the candidates, at i, averaged over rows.
        func infoNCE(_ p: [[Float]], _ t: [[Float]]) -> Double {
            func unit(_ v: [Float]) -> [Double] { let n = sqrt(v.reduce(0) { $0 + Double($1 * $1) }); return v.map { Double($0) / n } }
            let (pu, tu) = (p.map(unit), t.map(unit))
            var total = 0.0
            for i in 0..<pu.count {
                let logits = tu.map { row in zip(pu[i], row).reduce(0) { $0 + $1.0 * $1.1 } / 0.2 }
                let top = logits.max()!
                total += -(logits[i] - top - log(logits.reduce(0) { $0 + exp($1 - top) }))
            }
            return total / Double(pu.count)
        }
        func rows(_ t: Tensor, _ b: Int, _ tokens: [Int32]) -> [[Float]] {
            let (n, d) = (t.shape[1], t.shape[2])
            return tokens.map { j in (0..<d).map { t.pointer[(b * n + Int(j)) * d + $0] } }
        }
        let m = mask.masked.count
        var patch = 0.0
        for b in 0..<3 {
            let hidden = Array(mask.masked.values[b * m..<(b + 1) * m])
            patch += infoNCE(rows(pred, b, hidden), rows(target, b, hidden)) / 3
        }
        let pooled = { (t: Tensor) in (0..<3).map { b in (0..<32).map { c in (0..<8).reduce(Float(0)) { $0 + t.pointer[(b * 8 + $1) * 32 + c] } / 8 } } }
        let image = infoNCE(pooled(pred), pooled(target))
        #expect(abs(Double(out.metrics["loss_patch"]!) - patch) < 1e-4)
        #expect(abs(Double(out.metrics["loss_image"]!) - image) < 1e-4)
        #expect(abs(Double(out.loss.item) - (patch + image)) < 1e-4)
        let names = ["patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "norm.weight", "down_feat.weight", "mask_token_feat",
                     "decoder_feat.blocks.0.mlp.fc1.weight", "decoder_feat.head.weight", "decoder_feat.head.bias"]
        checkParameterGradients(store: mimco.store, names: names) {
            (try? mimco(ObjectiveBatch(video: x.narrowed(axis: 0, start: 0, length: 2)), context: context).loss) ?? Tensor.zeros([])
        }
    }

    @Test func maeImageTrainsOnFramesAtTheStride() throws {
        let store = ParameterStore(seed: 15)
        let mae = MaskedImageAutoencoder(store: store, grid: Self.frame, encoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1),
                                         decoderSize: TransformerSize(dim: 16, depth: 1, heads: 2, mlpRatio: 1),
                                         masking: RandomMasking(tokens: 4, ratio: 0.75), frameStride: 2)
        store.finalize()
        let x = Tensor.randomNormal([2, 1, 4, 8, 8], stream: RandomStream(seed: 16))
        let frames = try mae.frames(ObjectiveBatch(video: x))
        #expect(frames.shape == [4, 1, 8, 8])
        let out = try mae(ObjectiveBatch(video: x), context: Self.context())
        let direct = try mae.mae(ObjectiveBatch(audio: frames), context: Self.context())
        #expect(out.loss.item == direct.loss.item && mae.name == "mae-image")
        #expect(throws: ObjectiveError.self) { try mae(ObjectiveBatch(video: Tensor.zeros([1, 1, 4, 4, 4])), context: Self.context()) }
        #expect(throws: ObjectiveError.self) { try mae(ObjectiveBatch(audio: Tensor.zeros([1, 1, 8, 8])), context: Self.context()) }
    }
}
