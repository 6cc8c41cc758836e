// raven: the loss is the mean negative cosine on masked frames (checked against sums done here),
// the teachers build no graph and follow the cosine momentum schedule, BRAVEn's targets are
// instance-normalised block averages, and bad batches are refused.
import Testing
import DuetModels
import DuetNN
import DuetTensor
import DuetTestSupport
@testable import DuetObjectives

@Suite struct RAVEnTests {
    /// 6 frames of 16×16 gray mouths through a width-4 lip-reading tower; 24 filterbank frames of
    /// 8 mels, 4 a token; towers 16 wide, predictors 8 wide, one block each.
    static func objective(_ options: RAVEn.Options = RAVEn.Options()) -> RAVEn {
        RAVEn(store: ParameterStore(seed: 4), audioInput: [1, 24, 8], videoInput: [1, 6, 16, 16],
              predictors: RAVEn.PredictorSizes(videoToAudio: TransformerSize(dim: 8, depth: 1, heads: 2),
                                               audioToAudio: TransformerSize(dim: 8, depth: 1, heads: 2),
                                               audioToVideo: TransformerSize(dim: 8, depth: 1, heads: 2)),
              options: options) { root, _ in
            (FilterbankFrameTower(root.scope("audio_encoder"), steps: 6, framesPerToken: 4, mels: 8,
                                  size: TransformerSize(dim: 16, depth: 2, heads: 2), blocks: BlockOptions(layerScale: 0.1)),
             LipReadingTower(root.scope("video_encoder"), frames: 6, size: TransformerSize(dim: 16, depth: 1, heads: 2),
                             resnet: ResNetOptions.autoAVSR.width(4), blocks: BlockOptions(layerScale: 0.1)))
        }
    }

    static func batch(seed: UInt64 = 2) -> ObjectiveBatch {
        ObjectiveBatch(audio: Tensor.randomNormal([3, 1, 24, 8], stream: RandomStream(seed: seed)),
                       video: Tensor.randomNormal([3, 1, 6, 16, 16], stream: RandomStream(seed: seed + 1)))
    }

    static let context = StepContext(step: 5, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 11)))

    /// Σ over masked rows of cos(p, t), in Double, and the row count.
    static func cosineSum(_ p: Tensor, _ t: Tensor, _ mask: FrameMask) -> (Double, Int) {
        let d = p.shape[2]
        var total = 0.0, rows = 0
        for r in mask.flags.indices where mask.flags[r] {
            var dot = 0.0, pp = 0.0, tt = 0.0
            for c in 0..<d {
                let x = Double(p.pointer[r * d + c]), y = Double(t.pointer[r * d + c])
                dot += x * y
                pp += x * x
                tt += y * y
            }
            total += dot / (pp.squareRoot() * tt.squareRoot())
            rows += 1
        }
        return (total, rows)
    }

    @Test func maskedNegativeCosineOnAHandSizedExample() {
        // Rows (0, 1) vs (1, 0): cos 0; (1, 1) vs (−1, −1): cos −1; row 0 is not masked.
        let p = Tensor(shape: [1, 3, 2], scalars: [1, 0, 0, 1, 1, 1])
        let t = Tensor(shape: [1, 3, 2], scalars: [1, 0, 1, 0, -1, -1])
        let mask = FrameMask(flags: [false, true, true], batch: 1, steps: 3)
        #expect(abs(maskedNegativeCosine(p, t, mask).item - 0.5) < 1e-6)
        let x = randomInput([2, 3, 4], seed: 5), y = randomInput([2, 3, 4], seed: 6, requiresGrad: false)
        checkGradients([x]) { maskedNegativeCosine($0[0], y, FrameMask(flags: [true, false, true, false, true, true], batch: 2, steps: 3)) }
    }

    @Test func lossIsTheWeightedMeanNegativeCosineOfTheThreePredictions() throws {
        var options = RAVEn.Options()
        (options.videoToAudioWeight, options.audioToAudioWeight, options.audioToVideoWeight) = (0.5, 1, 2)
        let raven = Self.objective(options)
        let parts = try raven.forward(Self.batch(), context: Self.context)
        #expect(parts.videoMask.maskedCount > 0 && parts.audioMask == parts.videoMask)
        let v2a = Self.cosineSum(parts.videoToAudio, parts.audioTargets, parts.videoMask)
        let a2a = Self.cosineSum(parts.audioToAudio, parts.audioTargets, parts.audioMask)
        let a2v = Self.cosineSum(parts.audioToVideo, parts.videoTargets, parts.audioMask)
        let expected = [(v2a, 0.5), (a2a, 1.0), (a2v, 2.0)].reduce(0.0) { $0 - $1.1 * $1.0.0 / Double($1.0.1) }
        #expect(abs(Double(parts.loss.item) - expected) < 1e-5, "\(parts.loss.item) vs \(expected)")
        #expect(abs(Double(parts.losses.videoToAudio.item) + v2a.0 / Double(v2a.1)) < 1e-5)
        // The output the trainer sees is the same loss.
        let out = try raven(Self.batch(), context: Self.context)
        #expect(abs(out.loss.item - parts.loss.item) < 1e-6)
        #expect(out.metrics["target_std_audio"]! > 0 && out.metrics["pred_std_v2a"]! > 0)
    }

    @Test func targetsComeFromTheTeachersOnTheUnmaskedClipWithNoGraph() throws {
        let raven = Self.objective()
        let batch = Self.batch()
        let parts = try raven.forward(batch, context: Self.context)
        for target in [parts.audioTargets, parts.videoTargets] {
            #expect(!target.requiresGrad && target.isLeaf, "a teacher built a graph")
        }
        #expect(parts.videoToAudio.requiresGrad && !parts.videoToAudio.isLeaf)
        let audioTargets = noGrad { raven.audioTeacher(batch.audio!, context: Self.context.forward) }
        #expect(audioTargets.scalars == parts.audioTargets.scalars)
        // The students see the masked clip: their tokens differ from the teachers' even though
        // the weights start equal.
        let student = noGrad { raven.audio(parts.audioMask.zeroing(batch.audio!, timeAxis: 2), context: Self.context.forward) }
        #expect(student.scalars != audioTargets.scalars)
        // Backward reaches the students and the predictors, never the teachers.
        parts.loss.backward()
        #expect(raven.teacherStore.gradients!.scalars.allSatisfy { $0 == 0 })
        for name in ["audio_encoder.patch_embed.proj.weight", "video_encoder.frontend.frontend3D.0.weight", "predictor_v2a.mask_token",
                     "predictor_a2v.head.weight", "predictor_a2a.blocks.0.mlp.fc1.weight"] {
            #expect(raven.store[name]!.gradient!.scalars.contains { $0 != 0 }, "\(name) got no gradient")
        }
    }

    @Test func teachersFollowTheCosineMomentumSchedule() throws {
        let options = RAVEn.Options()
        let schedule = options.momentumSchedule(totalSteps: 100)
        #expect(schedule.value(at: 0) == 0.999)
        #expect(abs(schedule.value(at: 50) - 0.9995) < 1e-12)
        #expect(abs(schedule.value(at: 25) - (1 - 0.001 * (1 + 0.5.squareRoot()) / 2)) < 1e-12)
        #expect(schedule.value(at: 100) == 1)
        let raven = Self.objective()
        #expect(raven.momentum(afterStep: 49, totalSteps: 100) == schedule.value(at: 50))
        // The teachers start as copies of the students' towers; after a step they move by 1 − m.
        #expect(raven.teacherStore.names == Array(raven.store.names.prefix(raven.teacherStore.parameters.count)))
        #expect(raven.teacherStore.values!.scalars == Array(raven.store.values!.scalars.prefix(raven.teacherStore.scalarCount)))
        let before = raven.teacherStore.values!.scalars
        let name = "audio_encoder.blocks.0.attn.qkv.weight"
        let student = raven.store[name]!.value
        for i in 0..<student.count { student.pointer[i] += 1 }
        raven.afterOptimizerStep(24, totalSteps: 100)
        let m = schedule.value(at: 25)
        let teacher = raven.teacherStore[name]!
        for i in 0..<teacher.count {
            let expected = m * Double(before[teacher.offset + i]) + (1 - m) * Double(student.pointer[i])
            #expect(abs(Double(teacher.value.pointer[i]) - expected) < 1e-6)
        }
    }

    @Test func bravenTargetsAreInstanceNormalisedBlockAverages() throws {
        var options = RAVEn.Options()
        options.targets = .blockAverage
        options.audioMaskProbability = 0.4
        let raven = Self.objective(options)
        let batch = Self.batch()
        let parts = try raven.forward(batch, context: Self.context)
        let features = noGrad { raven.audioTeacher.features(batch.audio!, context: Self.context.forward, averagingBlocks: true) }
        expectClose(parts.audioTargets, noGrad { features.blockMean!.instanceNormOverTime() }, tolerance: 1e-6, "BRAVEn targets")
        // Each channel of each clip has mean 0 and variance 1 over time.
        let (b, t, d) = (parts.videoTargets.shape[0], parts.videoTargets.shape[1], parts.videoTargets.shape[2])
        for s in 0..<b {
            for c in 0..<d {
                let values = (0..<t).map { Double(parts.videoTargets.pointer[(s * t + $0) * d + c]) }
                let mean = values.reduce(0, +) / Double(t)
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(t)
                #expect(abs(mean) < 1e-4 && abs(variance - 1) < 1e-2)
            }
        }
        // The audio student draws its own mask.
        #expect(parts.audioMask != parts.videoMask)
    }

    @Test func filterbankTargetsAreTheClipsOwnNormalisedLogMelSteps() throws {
        var options = RAVEn.Options()
        options.videoToAudioTargets = .filterbank
        let raven = Self.objective(options)
        let batch = Self.batch()
        let parts = try raven.forward(batch, context: Self.context)
        // 6 steps of 4 frames × 8 mels: each step's 32 values side by side, each of the 32
        // channels normalised over the 6 steps of its clip (recomputed here in Double).
        #expect(parts.videoToAudio.shape == [3, 6, 32] && parts.videoToAudioTargets.shape == [3, 6, 32])
        let a = batch.audio!
        for (s, c) in [(0, 0), (1, 13), (2, 31)] {
            let values = (0..<6).map { t in Double(a.pointer[s * 24 * 8 + (t * 4 + c / 8) * 8 + c % 8]) }
            let mean = values.reduce(0, +) / 6
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6 + 1e-5).squareRoot()
            for t in 0..<6 {
                #expect(abs(Double(parts.videoToAudioTargets.pointer[(s * 6 + t) * 32 + c]) - (values[t] - mean) / std) < 1e-4)
            }
        }
        // The video student's loss is read against them; the audio student's are the teacher's as before.
        let v2a = Self.cosineSum(parts.videoToAudio, parts.videoToAudioTargets, parts.videoMask)
        #expect(abs(Double(parts.losses.videoToAudio.item) + v2a.0 / Double(v2a.1)) < 1e-5)
        #expect(parts.audioTargets.shape == [3, 6, 16])
        let a2a = Self.cosineSum(parts.audioToAudio, parts.audioTargets, parts.audioMask)
        #expect(abs(Double(parts.losses.audioToAudio.item) + a2a.0 / Double(a2a.1)) < 1e-5)
    }

    @Test func encodesEachModalityAndRefusesBadBatches() throws {
        let raven = Self.objective()
        let batch = Self.batch()
        let video = try raven.encode(batch, modality: .video, context: .evaluation)
        #expect(video.shape == [3, 6, 16] && !video.requiresGrad)
        #expect(try raven.encode(batch, modality: .audio, context: .evaluation).shape == [3, 6, 16])
        #expect(raven.checkpointedStores["teacher"] === raven.teacherStore)
        #expect(throws: ObjectiveError.self) { try raven(ObjectiveBatch(audio: batch.audio), context: Self.context) }
        let short = ObjectiveBatch(audio: Tensor.zeros([3, 1, 20, 8]), video: batch.video)
        #expect {
            try raven(short, context: Self.context)
        } throws: { error in
            "\(error)".contains("audio has shape [3, 1, 20, 8], the model expects [3, 1, 24, 8]")
        }
    }

    @Test func paddedFramesAreNeitherMaskedNorAttended() throws {
        let raven = Self.objective()
        var batch = Self.batch()
        batch.videoLengths = [6, 4, 6]
        let parts = try raven.forward(batch, context: Self.context)
        #expect(!parts.videoMask.flags[6 + 4] && !parts.videoMask.flags[6 + 5])
        // The short clip's valid audio tokens do not attend to its padding (the video tower's
        // 3-D stem does mix neighbouring frames, padding included, as RAVEn's does).
        var changed = batch
        let audio = batch.audio!.copy()
        for i in (16 * 8)..<(24 * 8) { audio.pointer[1 * 24 * 8 + i] = 7 }
        changed.audio = audio
        let again = try raven.forward(changed, context: Self.context)
        let d = parts.audioToAudio.shape[2]
        let rows = (6 * d)..<((6 + 4) * d)
        #expect(Array(again.audioToAudio.scalars[rows]) == Array(parts.audioToAudio.scalars[rows]))
        let padded = (10 * d)..<(12 * d)
        #expect(Array(again.audioToAudio.scalars[padded]) != Array(parts.audioToAudio.scalars[padded]), "the change reached the padding")
    }

    /// Sample b's frames, each at unit length and scaled by 1/√n for the first n, zero after, in
    /// Double, one after another: [T·D].
    static func alignedUnitFrames(_ x: Tensor, sample b: Int, frames n: Int) -> [Double] {
        let (t, d) = (x.shape[1], x.shape[2])
        var flat = [Double](repeating: 0, count: t * d)
        for s in 0..<n {
            let row = (0..<d).map { Double(x.pointer[(b * t + s) * d + $0]) }
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            for c in 0..<d { flat[s * d + c] = row[c] / norm / Double(n).squareRoot() }
        }
        return flat
    }

    @Test func retrievalPairsEachCrossModalPredictionWithTheOtherTeachersTargets() throws {
        let raven = Self.objective()
        var batch = Self.batch()
        batch.videoLengths = [6, 4, 6]
        let context = ForwardContext.evaluation
        let videoTokens = try raven.encode(batch, modality: .video, context: context)
        let audioTokens = try raven.encode(batch, modality: .audio, context: context)
        let video = try raven.retrievalFeatures(batch, tokens: videoTokens, modality: .video, context: context)
        let audio = try raven.retrievalFeatures(batch, tokens: audioTokens, modality: .audio, context: context)
        let half = 6 * 16
        #expect(video.shape == [3, 2 * half] && audio.shape == [3, 2 * half] && !video.requiresGrad && !audio.requiresGrad)
        // Computed here, nothing masked and padding not attended: audio = [f̄_a, g_av(f_a)],
        // video = [g_va(f_v), f̄_v]; each valid frame at unit length over √(2·frames), padding zero.
        let padding = KeyPaddingMask(lengths: [6, 4, 6], keys: 6)
        let (v2a, a2v, audioTargets, videoTargets) = noGrad {
            (raven.videoToAudio(videoTokens, masked: Tensor.zeros([3, 6, 1]), context: context, keyPadding: padding),
             raven.audioToVideo(audioTokens, masked: Tensor.zeros([3, 6, 1]), context: context, keyPadding: padding),
             raven.audioTeacher(batch.audio!, context: context, keyPadding: padding),
             raven.videoTeacher(batch.video!, context: context, keyPadding: padding))
        }
        for (b, n) in [(0, 6), (1, 4), (2, 6)] {
            for (rows, first, second) in [(video, v2a, videoTargets), (audio, audioTargets, a2v)] {
                let expected = Self.alignedUnitFrames(first, sample: b, frames: n) + Self.alignedUnitFrames(second, sample: b, frames: n)
                for c in 0..<(2 * half) {
                    #expect(abs(Double(rows.pointer[b * 2 * half + c]) - expected[c] / Double(2).squareRoot()) < 1e-5)
                }
            }
        }
        // An audio row against a video row: the mean of the two pairs' frame-by-frame cosines.
        func meanCosine(_ p: Tensor, _ q: Tensor, _ i: Int, _ j: Int, frames n: Int) -> Double {
            zip(Self.alignedUnitFrames(p, sample: i, frames: n), Self.alignedUnitFrames(q, sample: j, frames: n)).map(*).reduce(0, +)
        }
        let dot = (0..<(2 * half)).map { Double(audio.pointer[0 * 2 * half + $0]) * Double(video.pointer[2 * 2 * half + $0]) }.reduce(0, +)
        #expect(abs(dot - 0.5 * (meanCosine(audioTargets, v2a, 0, 2, frames: 6) + meanCosine(a2v, videoTargets, 0, 2, frames: 6))) < 1e-5)
        // The v2a pair's audio half is the teacher's, not the student's: it stays when the student moves.
        let student = raven.store["audio_encoder.norm.bias"]!.value
        for i in 0..<student.count { student.pointer[i] += 0.5 }
        let again = try raven.retrievalFeatures(batch, tokens: raven.encode(batch, modality: .audio, context: context),
                                                modality: .audio, context: context)
        for b in 0..<3 {
            let teacherHalf = (b * 2 * half)..<(b * 2 * half + half), predictedHalf = (b * 2 * half + half)..<((b + 1) * 2 * half)
            #expect(Array(again.scalars[teacherHalf]) == Array(audio.scalars[teacherHalf]))
            #expect(Array(again.scalars[predictedHalf]) != Array(audio.scalars[predictedHalf]))
        }
    }

    @Test func retrievalWithFilterbankTargetsPairsTheVideoPredictionWithTheFilterbank() throws {
        var options = RAVEn.Options()
        options.videoToAudioTargets = .filterbank
        let raven = Self.objective(options)
        let batch = Self.batch()
        let context = ForwardContext.evaluation
        let videoTokens = try raven.encode(batch, modality: .video, context: context)
        let video = try raven.retrievalFeatures(batch, tokens: videoTokens, modality: .video, context: context)
        let audio = try raven.retrievalFeatures(batch, tokens: raven.encode(batch, modality: .audio, context: context),
                                                modality: .audio, context: context)
        // v2a predicts 4 frames × 8 mels a step, a2v the video width (16): rows of 6·32 + 6·16.
        let (fbHalf, half) = (6 * 32, 6 * 16)
        #expect(video.shape == [3, fbHalf + half] && audio.shape == [3, fbHalf + half])
        let filterbank = noGrad { raven.filterbankTargets(batch.audio!) }
        for b in 0..<3 {
            let expected = Self.alignedUnitFrames(filterbank, sample: b, frames: 6)
            for c in 0..<fbHalf {
                #expect(abs(Double(audio.pointer[b * (fbHalf + half) + c]) - expected[c] / Double(2).squareRoot()) < 1e-5)
            }
        }
    }
}
