// A fine-tuning task as the trainer's objective: the encoder towers of the task's modalities
// (under `video_encoder.` / `audio_encoder.`), per-step features, and a word classifier (`head`,
// cross-entropy) or a CTC projection (`ctc.ctc_lo`, CTC loss over letters).
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

/// One modality's encoder tower (MAE's ViT over patches or tubelets, or RAVEn's lip-reading
/// front-end + Transformer) with the layout of its input and tokens.
public struct TaskTower: Sendable {
    public let modality: Modality
    public let tower: any EncoderTower
    /// The input of one sample: [C, H, W] for a spectrogram, [C, T, H, W] for a video.
    public let inputShape: [Int]
    /// Time steps of the tokens, input frames per step, and tokens before the steps (a class token).
    public let steps: Int
    public let framesPerStep: Int
    public let leadingTokens: Int

    /// A ViT tower (MAE's encoder) over `grid`.
    public init(modality: Modality, encoder: MAEEncoder) {
        self.modality = modality
        tower = encoder
        inputShape = Array(FineTuningTask.inputShape(encoder.grid, batch: 1).dropFirst())
        (steps, framesPerStep) = (encoder.grid.timeSteps, encoder.grid.framesPerStep)
        leadingTokens = encoder.hasClassToken ? 1 : 0
    }

    /// RAVEn's video tower: one token per frame.
    public init(lipReading tower: LipReadingTower, channels: Int, size: Int) {
        modality = .video
        self.tower = tower
        inputShape = [channels, tower.frames, size, size]
        (steps, framesPerStep, leadingTokens) = (tower.frames, 1, 0)
    }

    /// RAVEn's audio tower: one token per video time step of `framesPerToken` filterbank frames.
    public init(filterbankFrames tower: FilterbankFrameTower) {
        modality = .audio
        self.tower = tower
        inputShape = [1, tower.steps * tower.framesPerToken, tower.patchEmbed.patch.1]
        (steps, framesPerStep, leadingTokens) = (tower.steps, tower.framesPerToken, 0)
    }

    /// Time steps that see at least one valid input frame of a clip with `frames` valid frames.
    func validSteps(frames: Int) -> Int { min(steps, max(1, (frames + framesPerStep - 1) / framesPerStep)) }

    /// Per-step features [B, T', D] of the whole input (no masking) and the valid steps of each
    /// sample; padding steps are kept out of attention by a key-padding mask.
    public func features(_ x: Tensor, lengths: [Int]?, context: ForwardContext) -> (Tensor, [Int]?) {
        let valid = lengths.map { $0.map(validSteps) }
        let tokens = tower.tokens(x, context: context)
        var padding: KeyPaddingMask?
        if let valid, valid.contains(where: { $0 < steps }) {
            let k = tower.tokensPerStep, lead = leadingTokens
            padding = KeyPaddingMask(valid: valid.flatMap { n in (0..<(lead + steps * k)).map { $0 < lead || ($0 - lead) / k < n } },
                                     batch: valid.count, keys: lead + steps * k)
        }
        let encoded = tower.encoder(tokens, context: context, keyPadding: padding)
        let perStep = leadingTokens > 0 ? encoded.narrowed(axis: 1, start: leadingTokens, length: steps * tower.tokensPerStep) : encoded
        return (tower.perStep(perStep), valid)
    }

    /// BEiT's layer ids within the tower: embeddings and front-ends 0, `blocks.i` i + 1, the rest
    /// (the final norm) depth + 1.
    func layerID(of name: String) -> Int {
        if name.hasPrefix("frontend.") || name.hasPrefix("proj.") { return 0 }
        return LayerwiseDecay.layerID(of: name, depth: tower.encoder.blocks.count)
    }
}

public struct FineTuningTask: PretrainingObjective {
    public let kind: TaskKind
    public let store: ParameterStore
    /// Video first, then audio, as present.
    public let towers: [TaskTower]
    public let classifier: ClassificationHead?
    public let ctc: CTCHead?
    public let labelSmoothing: Float
    /// Steps trained with the encoders frozen.
    public let freezeSteps: Int
    /// The encoders' trainable parameters (the fixed position tables stay frozen throughout).
    private let encoderParameters: [Parameter]

    public var name: String { "finetune-\(kind.rawValue)" }

    /// The head over `towers` (built in `store` under `video_encoder.` / `audio_encoder.`), in
    /// `store` (not finalised here). `classes` is the number of words, or of letters with the blank.
    public init(kind: TaskKind, store: ParameterStore, towers: [TaskTower], classes: Int, labelSmoothing: Float = 0,
                freezeSteps: Int = 0, headNorm: Bool = true) {
        self.kind = kind
        self.store = store
        self.towers = towers
        let width = towers.reduce(0) { $0 + $1.tower.dim }
        switch kind {
        case .word:
            classifier = ClassificationHead(store.builder.scope("head"), inFeatures: width, classes: classes, standardising: headNorm)
            ctc = nil
        case .ctc:
            classifier = nil
            ctc = CTCHead(store.builder.scope("ctc"), inFeatures: width, units: classes - 1)
        }
        self.labelSmoothing = labelSmoothing
        self.freezeSteps = freezeSteps
        encoderParameters = store.parameters.filter { p in p.isTrainable && (p.name.hasPrefix("video_encoder.") || p.name.hasPrefix("audio_encoder.")) }
    }

    /// The output layer's width: classes, or letters plus the blank.
    public var outputClasses: Int { classifier?.classes ?? ctc!.classes }

    /// Layer-wise decay as BEiT / MAE assign it within each tower (`blocks.i` of a tower of depth
    /// L gets decay^(L − i), its embeddings decay^(L + 1), the head 1).
    public func learningRateScales(decay: Float) -> [String: Float] {
        guard decay < 1 else { return [:] }
        var scales: [String: Float] = [:]
        for tower in towers {
            let prefix = TowerLookup.prefix(tower.modality), depth = tower.tower.encoder.blocks.count
            for p in store.parameters(under: String(prefix.dropLast())) {
                let layer = tower.layerID(of: String(p.name.dropFirst(prefix.count)))
                scales[p.name] = Float(Foundation.pow(Double(decay), Double(depth + 1 - layer)))
            }
        }
        return scales
    }

    /// The logits of a batch: [B, C] for words, [T', B, C] for CTC (with the valid steps).
    public func logits(_ batch: ObjectiveBatch, context: ForwardContext) throws(ObjectiveError) -> (Tensor, [Int]?) {
        var features: [(Tensor, [Int]?)] = []
        for tower in towers {
            let input = tower.modality == .video ? batch.video : batch.audio
            guard let x = input else { throw .missingModality(objective: name, modality: tower.modality.rawValue) }
            let expected = [x.shape[0]] + tower.inputShape
            guard x.shape == expected else { throw .shapeMismatch(objective: name, what: tower.modality.rawValue, expected: expected, got: x.shape) }
            features.append(tower.features(x, lengths: tower.modality == .video ? batch.videoLengths : batch.audioLengths,
                                           context: context))
        }
        if let classifier {
            let pooled = features.map { maskedTimeMean($0.0, lengths: $0.1) }
            return (classifier(pooled.count == 1 ? pooled[0] : Tensor.concat(pooled, axis: 1), context: context), nil)
        }
        // `ctc` runs on one tower (TaskConfig rules out audio-visual CTC).
        return (ctc!(features[0].0), features[0].1)
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        if freezeSteps > 0 && context.forward.isTraining { setEncodersTrainable(context.step >= freezeSteps) }
        guard let labels = batch.labels else { throw .missingModality(objective: name, modality: "labels") }
        if classifier?.norm != nil && context.forward.isTraining && labels.count < 2 {
            // PyTorch stops here too ("Expected more than 1 value per channel when training"):
            // one clip's batch variance is zero and the head's running statistics become NaN.
            throw .batchTooSmall(objective: name, size: labels.count, needed: 2, why: "the word head's batch norm (task.head_norm)")
        }
        let (logits, steps) = try self.logits(batch, context: context.forward)
        if kind == .word {
            let targets = labels.map { $0.first ?? -100 }
            let loss = crossEntropyLoss(logits, labels: targets, labelSmoothing: context.forward.isTraining ? labelSmoothing : 0)
            let predicted = noGrad { LinearProbe.argmaxRows(logits) }
            let right = zip(predicted, targets).filter { $0 == $1 }.count
            return ObjectiveOutput(loss: loss, metrics: ["loss": Double(loss.item), "accuracy": Double(right) / Double(max(targets.count, 1))])
        }
        let frames = logits.shape[0]
        let inputLengths = (steps ?? [Int](repeating: frames, count: labels.count)).map { Int32($0) }
        // Auto-AVSR sums the per-sample CTC losses and divides by the batch; clips whose letters
        // cannot fit their steps count 0 (zero_infinity), as ESPnet's CTC module sets it.
        let loss = ctcLoss(logits, targets: labels.flatMap { $0 }, inputLengths: inputLengths,
                           targetLengths: labels.map { Int32($0.count) }, blank: 0, reduction: .sum, zeroInfinity: true)
            * (1 / Float(max(labels.count, 1)))
        return ObjectiveOutput(loss: loss, metrics: ["loss": Double(loss.item)])
    }

    /// Freezes or unfreezes the encoders (the frozen-encoder warm-up), when it changes.
    private func setEncodersTrainable(_ trainable: Bool) {
        guard let first = encoderParameters.first, first.isTrainable != trainable else { return }
        for p in encoderParameters { p.isTrainable = trainable }
    }

    static func inputShape(_ grid: TokenGrid, batch: Int) -> [Int] {
        switch grid {
        case let .image(c, h, w, _): return [batch, c, h, w]
        case let .video(c, t, h, w, _, _): return [batch, c, t, h, w]
        }
    }
}
