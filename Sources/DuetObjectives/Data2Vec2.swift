// `data2vec2` (Baevski et al., Efficient Self-supervised Learning with Contextualized Target
// Representations for Vision, Speech and Language, arXiv 2212.07525; fairseq examples/data2vec):
// per modality, an EMA teacher sees the whole input once and gives the mean of its top-K blocks'
// instance-normalised FFN outputs; the student encodes only the kept tokens of K masked clones
// of each sample, a convolutional decoder fills the grid (masked positions start as small noise)
// and regresses the targets on masked tokens, MSE scaled by 1/√D. Audio and video are two
// independent branches summed (data2vec 2.0 has no cross-modal term). The video branch is a
// tubelet ViT or RAVEn's lip-reading tower (`MultiMaskTower` says how each masks its clones).
import DuetModels
import DuetNN
import DuetTensor

public struct Data2Vec2: PretrainingObjective {

    /// One modality's student encoder and decoder, its teacher encoder, its masking and the
    /// per-sample input shape both encoders read.
    public struct Branch: Sendable {
        public let modality: Modality
        public let encoder: any MultiMaskTower
        public let decoder: ConvolutionalDecoder
        public let teacherEncoder: any MultiMaskTower
        public let masking: any MaskingStrategy
        public let input: [Int]

        public init(modality: Modality, encoder: any MultiMaskTower, decoder: ConvolutionalDecoder,
                    teacherEncoder: any MultiMaskTower, masking: any MaskingStrategy, input: [Int]) {
            (self.modality, self.encoder, self.decoder, self.teacherEncoder, self.masking, self.input) =
                (modality, encoder, decoder, teacherEncoder, masking, input)
        }

        /// A ViT branch: the input is the encoder's grid's.
        public init(modality: Modality, encoder: MAEEncoder, decoder: ConvolutionalDecoder, teacherEncoder: MAEEncoder,
                    masking: any MaskingStrategy) {
            self.init(modality: modality, encoder: encoder, decoder: decoder, teacherEncoder: teacherEncoder, masking: masking,
                      input: Array(encoder.grid.inputShape(batch: 1).dropFirst()))
        }
    }

    public struct Options: Sendable, Equatable {
        /// Masked clones of each sample the student sees (clone_batch: 8 audio, 16 images).
        public var clones = 8
        /// Blocks whose FFN outputs are averaged (average_top_k_layers).
        public var topK = 8
        /// layer_norm_targets (the image recipe's true, the audio recipe's false).
        public var layerNormTargets = false
        /// The teacher's momentum per step (ema_decay → ema_end_decay over ema_anneal_end_step).
        public var momentum = MomentumSchedule.linear(from: 0.999, to: 0.99999, steps: 75_000)
        /// Standard deviation of the noise masked positions start from in the decoder.
        public var maskNoiseStd: Float = 0.01
        /// Abort thresholds (min_target_var, min_pred_var), checked after `collapseCheckAfter` updates.
        public var minTargetVariance = 0.1
        public var minPredictionVariance = 0.01
        public var collapseCheckAfter = 5000

        public init() {}
    }

    public let store: ParameterStore
    public let teacher: EMATeacher
    public let branches: [Branch]
    public let options: Options

    public var name: String { "data2vec2" }

    /// `teacher` holds the same layout as `store` (built by the same code, finalised); it starts
    /// as a copy of the student.
    public init(store: ParameterStore, teacherStore: ParameterStore, branches: [Branch], options: Options) throws(OptimizerError) {
        self.store = store
        teacher = try EMATeacher(teacher: teacherStore, student: store)
        self.branches = branches
        self.options = options
    }

    /// The EMA teacher is checkpointed beside the model (teacher.safetensors).
    public var checkpointedStores: [String: ParameterStore] { ["teacher": teacher.teacher] }

    public var encodedModalities: [Modality] { branches.map(\.modality) }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        var timer = PartTimer()
        var loss: Tensor?
        var metrics: [String: Double] = [:]
        for branch in branches {
            let m = branch.modality.rawValue
            let x = try batch.input(branch.modality, sampleShape: branch.input, objective: name)
            let targets = try timer.time("teacher") {
                // Training mode for batch norm's batch statistics (the lip-reading front-end's, as
                // RAVEn's teachers); the teacher has no stochastic depth, so nothing else changes.
                let ffn = noGrad { branch.teacherEncoder.encodeKeepingFFN(x, context: context.forward).ffn }
                return Data2Vec2Targets.make(ffnOutputs: ffn, topK: options.topK, layerNorm: options.layerNormTargets,
                                             leadingTokens: branch.teacherEncoder.leadingTokens)
            }
            let (prediction, mask) = try timer.time("student") { () throws(ObjectiveError) in
                try student(branch, x, context: context)
            }
            let (b, n, d) = (targets.shape[0], targets.shape[1], targets.shape[2])
            let flags = mask.maskedFlags()
            let tiled = Tensor.concat(Array(repeating: targets, count: options.clones), axis: 0)
            // fairseq's d2v_loss: Σ_d (p − y)² / √D per masked token, averaged over masked tokens.
            let part = mseLoss(prediction, tiled, mask: flags) * Float(Double(d).squareRoot())
            loss = loss.map { $0 + part } ?? part
            let targetSpread = Data2Vec2Targets.spread(tiled, rowWeights: flags)
            let predictionSpread = Data2Vec2Targets.spread(prediction, rowWeights: flags)
            metrics["loss_\(m)"] = Double(part.item)
            metrics["target_var_\(m)"] = targetSpread
            metrics["pred_var_\(m)"] = predictionSpread
            metrics["masked_pct_\(m)"] = Double(mask.masked.count) / Double(n)
            precondition(b * options.clones == prediction.shape[0])
            if context.step > options.collapseCheckAfter {
                if targetSpread < options.minTargetVariance {
                    throw .collapsed(objective: name, monitor: "target_var_\(m)", value: targetSpread,
                                     threshold: options.minTargetVariance, step: context.step)
                }
                if predictionSpread < options.minPredictionVariance {
                    throw .collapsed(objective: name, monitor: "pred_var_\(m)", value: predictionSpread,
                                     threshold: options.minPredictionVariance, step: context.step)
                }
            }
        }
        metrics.merge(timer.milliseconds) { $1 }
        metrics["ema_decay"] = options.momentum.value(at: context.step)
        metrics["loss"] = Double(loss!.item)
        return ObjectiveOutput(loss: loss!, metrics: metrics)
    }

    /// The student's predictions for K masked clones of `x`, clone-major ([K·B, N, D]: clone k
    /// of sample b is row k·B + b), and their masks.
    func student(_ branch: Branch, _ x: Tensor, context: StepContext) throws(ObjectiveError) -> (Tensor, TokenMask) {
        let (b, clones) = (x.shape[0], options.clones)
        let m = branch.modality.rawValue
        let mask = branch.masking.mask(batch: b * clones, stream: context.stream("mask.\(m)"))
        let encoded = branch.encoder.droppingLeadingTokens(branch.encoder.encodeVisible(x, mask: mask, clones: clones, context: context.forward))
        let (n, d) = (mask.tokens, encoded.shape[2])
        let noise = Tensor.randomNormal([b * clones, n, d], std: options.maskNoiseStd, stream: context.stream("noise.\(m)"))
        let grid = encoded.scatteringTokens(mask.keep, into: noise)
        return (branch.decoder(grid), mask)
    }

    public func afterOptimizerStep(_ step: Int, totalSteps: Int) {
        // fairseq sets the decay for the update count after this step, and skips the update at 1.
        let momentum = options.momentum.value(at: step + 1)
        if momentum < 1 { teacher.update(from: store, momentum: momentum) }
    }

    /// The student encoder's patch tokens of the whole input, [B, N, D], without a graph.
    public func encode(_ batch: ObjectiveBatch, modality: Modality, context: ForwardContext) throws(ObjectiveError) -> Tensor {
        guard let branch = branches.first(where: { $0.modality == modality }) else {
            throw .missingModality(objective: name, modality: modality.rawValue)
        }
        let x = try batch.input(branch.modality, sampleShape: branch.input, objective: name)
        return noGrad { branch.encoder.droppingLeadingTokens(branch.encoder(x, context: context)) }
    }
}
