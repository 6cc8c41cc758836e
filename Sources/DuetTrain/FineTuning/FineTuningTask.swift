// A fine-tuning task as the trainer's objective: the encoder towers of the task's modalities
// (under `video_encoder.` / `audio_encoder.`), per-step features, and a word classifier (`head`,
// cross-entropy) or a CTC projection (`ctc.ctc_lo`, CTC loss over letters).
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

/// One modality's encoder with the grid its input is cut into.
public struct TaskTower: Sendable {
    public let modality: Modality
    public let encoder: MAEEncoder

    public var grid: TokenGrid { encoder.grid }

    /// Per-step features [B, T', D] of the whole input (no masking) and the valid steps of each
    /// sample; padding steps are kept out of attention by a key-padding mask.
    public func features(_ x: Tensor, lengths: [Int]?, context: ForwardContext) -> (Tensor, [Int]?) {
        let steps = lengths.map { $0.map { grid.validSteps(frames: $0) } }
        var tokens = encoder.embed(x)
        if let classToken = encoder.classToken { tokens = classToken.prepend(to: tokens) }
        var padding: KeyPaddingMask?
        if let steps, steps.contains(where: { $0 < grid.timeSteps }) {
            let perStep = grid.tokens / grid.timeSteps, offset = encoder.hasClassToken ? 1 : 0
            let valid = steps.flatMap { n in
                (0..<(grid.tokens + offset)).map { $0 < offset || ($0 - offset) / perStep < n }
            }
            padding = KeyPaddingMask(valid: valid, batch: steps.count, keys: grid.tokens + offset)
        }
        let encoded = encoder.encoder(tokens, context: context, keyPadding: padding)
        let patches = encoder.hasClassToken ? encoded.narrowed(axis: 1, start: 1, length: grid.tokens) : encoded
        return (grid.temporalFeatures(patches), steps)
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

    /// Builds the towers and the head in `store` (not finalised here). `classes` is the number
    /// of words, or of letters with the blank.
    public init(kind: TaskKind, store: ParameterStore, grids: [(Modality, TokenGrid, TransformerSize, Float)],
                classes: Int, labelSmoothing: Float = 0, freezeSteps: Int = 0) {
        self.kind = kind
        self.store = store
        towers = grids.map { modality, grid, size, dropPath in
            TaskTower(modality: modality, encoder: MAEEncoder(store.builder.scope("\(modality.rawValue)_encoder"), grid: grid,
                                                              size: size, dropPath: dropPath))
        }
        let width = towers.reduce(0) { $0 + $1.encoder.size.dim }
        switch kind {
        case .word:
            classifier = ClassificationHead(store.builder.scope("head"), inFeatures: width, classes: classes)
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
            let prefix = TowerLookup.prefix(tower.modality), depth = tower.encoder.size.depth
            for p in store.parameters(under: String(prefix.dropLast())) {
                let layer = LayerwiseDecay.layerID(of: String(p.name.dropFirst(prefix.count)), depth: depth)
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
            let expected = Self.inputShape(tower.grid, batch: x.shape[0])
            guard x.shape == expected else { throw .shapeMismatch(objective: name, what: tower.modality.rawValue, expected: expected, got: x.shape) }
            features.append(tower.features(x, lengths: tower.modality == .video ? batch.videoLengths : batch.audioLengths,
                                           context: context))
        }
        if let classifier {
            let pooled = features.map { maskedTimeMean($0.0, lengths: $0.1) }
            return (classifier.linear(pooled.count == 1 ? pooled[0] : Tensor.concat(pooled, axis: 1)), nil)
        }
        // `ctc` runs on one tower (TaskConfig rules out audio-visual CTC).
        return (ctc!(features[0].0), features[0].1)
    }

    public func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        if freezeSteps > 0 && context.forward.isTraining { setEncodersTrainable(context.step >= freezeSteps) }
        guard let labels = batch.labels else { throw .missingModality(objective: name, modality: "labels") }
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
