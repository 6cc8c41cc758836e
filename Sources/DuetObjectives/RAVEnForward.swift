// One RAVEn step in parts: masks, the teachers' targets (no graph), the masked students, the
// three predictors and their losses, with what tests and the collapse monitors look at.
import DuetModels
import DuetNN
import DuetTensor
import Dispatch

extension RAVEn {
    /// Everything one forward pass made.
    public struct Parts {
        public var videoMask: FrameMask
        public var audioMask: FrameMask
        /// Per time step, [B, steps, D]: the teachers' targets and the three predictions.
        public var audioTargets: Tensor
        public var videoTargets: Tensor
        /// What the video student predicts: `audioTargets`, or the normalised filterbank steps.
        public var videoToAudioTargets: Tensor
        public var videoToAudio: Tensor
        public var audioToAudio: Tensor
        public var audioToVideo: Tensor
        /// The three losses (negative cosine on masked steps) and their weighted sum.
        public var losses: (videoToAudio: Tensor, audioToAudio: Tensor, audioToVideo: Tensor)
        public var loss: Tensor
        public var metrics: [String: Double]
    }

    /// Checks the batch, draws the masks, runs teachers, students and predictors.
    /// `detachingStudents` cuts the graph between students and predictors (a profile times the
    /// predictors' backward alone that way).
    public func forward(_ batch: ObjectiveBatch, context: StepContext, detachingStudents: Bool = false) throws(ObjectiveError) -> Parts {
        guard let a = batch.audio else { throw .missingModality(objective: name, modality: "audio") }
        guard let v = batch.video else { throw .missingModality(objective: name, modality: "video") }
        let b = v.shape[0]
        guard v.shape == [b] + videoInput else { throw .shapeMismatch(objective: name, what: "video", expected: [b] + videoInput, got: v.shape) }
        guard a.shape == [b] + audioInput else { throw .shapeMismatch(objective: name, what: "audio", expected: [b] + audioInput, got: a.shape) }
        var clock = PartClock()
        let lengths = stepLengths(batch, batch: b)
        let videoMask = SpanStartMasking(probability: options.maskProbability, spanLength: options.spanLength)
            .mask(lengths: lengths, steps: steps, stream: context.stream("mask.video"))
        let audioMask = options.audioMaskProbability.map {
            SpanStartMasking(probability: $0, spanLength: options.spanLength).mask(lengths: lengths, steps: steps, stream: context.stream("mask.audio"))
        } ?? videoMask
        let padding = lengths.allSatisfy { $0 >= steps } ? nil : lengths
        let forwardContext = context.forward

        // Teachers: the whole clip, no graph; batch norm as the students (batch statistics in training).
        let (audioTargets, videoTargets) = clock.time(\.teachers) {
            noGrad { (targets(audioTeacher, a, padding, forwardContext), targets(videoTeacher, v, padding, forwardContext)) }
        }
        let videoToAudioTargets = options.videoToAudioTargets == .filterbank ? noGrad { filterbankTargets(a) } : audioTargets
        // Students: the masked frames' inputs zeroed.
        var (audioStudent, videoStudent) = clock.time(\.students) {
            (studentTokens(audio, audioMask.zeroing(a, timeAxis: 2), padding, forwardContext),
             studentTokens(video, videoMask.zeroing(v, timeAxis: 2), padding, forwardContext))
        }
        if detachingStudents { (audioStudent, videoStudent) = (audioStudent.detached(), videoStudent.detached()) }
        let predictorPadding = padding.map { KeyPaddingMask(lengths: $0, keys: steps) }
        let audioFlags = audioMask.maskedTensor(), videoFlags = videoMask.maskedTensor()
        let (pV2A, pA2A, pA2V) = clock.time(\.predictors) {
            (videoToAudio(videoStudent, masked: videoFlags, context: forwardContext, keyPadding: predictorPadding),
             audioToAudio(audioStudent, masked: audioFlags, context: forwardContext, keyPadding: predictorPadding),
             audioToVideo(audioStudent, masked: audioFlags, context: forwardContext, keyPadding: predictorPadding))
        }
        let losses = clock.time(\.losses) {
            (videoToAudio: maskedNegativeCosine(pV2A, videoToAudioTargets, videoMask),
             audioToAudio: maskedNegativeCosine(pA2A, audioTargets, audioMask),
             audioToVideo: maskedNegativeCosine(pA2V, videoTargets, audioMask))
        }
        let loss = losses.videoToAudio * options.videoToAudioWeight + losses.audioToAudio * options.audioToAudioWeight
            + losses.audioToVideo * options.audioToVideoWeight
        var metrics: [String: Double] = [
            "loss": Double(loss.item),
            "loss_v2a": Double(losses.videoToAudio.item), "loss_a2a": Double(losses.audioToAudio.item),
            "loss_a2v": Double(losses.audioToVideo.item),
            "masked_fraction": Double(videoMask.maskedCount) / Double(max(lengths.reduce(0, +), 1)),
            // Collapse monitors: a teacher whose targets stop varying over frames has collapsed.
            "target_std_audio": tokenStandardDeviation(audioTargets, mask: nil),
            "target_std_video": tokenStandardDeviation(videoTargets, mask: nil),
            "pred_std_v2a": tokenStandardDeviation(pV2A, mask: videoMask),
            "pred_std_a2a": tokenStandardDeviation(pA2A, mask: audioMask),
            "pred_std_a2v": tokenStandardDeviation(pA2V, mask: audioMask),
        ]
        for (key, ms) in clock.milliseconds { metrics["time_\(key)_ms"] = ms }
        return Parts(videoMask: videoMask, audioMask: audioMask, audioTargets: audioTargets, videoTargets: videoTargets,
                     videoToAudioTargets: videoToAudioTargets,
                     videoToAudio: pV2A, audioToAudio: pA2A, audioToVideo: pA2V, losses: losses, loss: loss, metrics: metrics)
    }

    /// Valid time steps per sample, from the video lengths (the audio has the same window).
    func stepLengths(_ batch: ObjectiveBatch, batch b: Int) -> [Int] {
        guard let frames = batch.videoLengths, frames.count == b else { return Array(repeating: steps, count: b) }
        return frames.map { min(steps, ($0 + videoFramesPerStep - 1) / videoFramesPerStep) }
    }

    /// A teacher's targets per time step: its output (RAVEn) or its block average normalised per
    /// channel over time (BRAVEn's InstanceNorm1d).
    func targets(_ tower: any EncoderTower, _ x: Tensor, _ lengths: [Int]?, _ context: ForwardContext) -> Tensor {
        let padding = lengths.map { tower.keyPadding(stepLengths: $0, steps: steps) }
        let features = tower.features(x, context: context, keyPadding: padding, averagingBlocks: options.targets == .blockAverage)
        switch options.targets {
        case .output: return tower.perStep(features.output)
        case .blockAverage: return tower.perStep(features.blockMean!).instanceNormOverTime()
        }
    }

    /// The filterbank [B, 1, frames, mels] as [B, steps, frames-per-step × mels], each channel
    /// normalised over time as BRAVEn's targets are.
    func filterbankTargets(_ a: Tensor) -> Tensor {
        let b = a.shape[0]
        return a.reshaped([b, steps, Self.filterbankStepWidth(audioInput: audioInput, steps: steps)]).instanceNormOverTime()
    }

    func studentTokens(_ tower: any EncoderTower, _ x: Tensor, _ lengths: [Int]?, _ context: ForwardContext) -> Tensor {
        tower.perStep(tower(x, context: context, keyPadding: lengths.map { tower.keyPadding(stepLengths: $0, steps: steps) }))
    }
}

/// The mean over the masked steps of the whole batch of −cos(prediction, target), as RAVEn's
/// `-F.cosine_similarity(...).masked_fill(~mask, 0).sum() / mask.sum()`; [B, T, D] inputs.
public func maskedNegativeCosine(_ prediction: Tensor, _ target: Tensor, _ mask: FrameMask) -> Tensor {
    let (b, t, d) = (prediction.shape[0], prediction.shape[1], prediction.shape[2])
    let rows = mask.maskedRows
    guard rows.count > 0 else { return Tensor.zeros([]) }
    let p = prediction.reshaped([1, b * t, d]).gatheringTokens(rows)
    let y = target.reshaped([1, b * t, d]).gatheringTokens(rows)
    return cosineLoss(p, y) - 1
}

/// The standard deviation of each channel over the tokens (all, or the masked steps), averaged
/// over channels: data2vec 2.0's collapse monitor, read without a graph.
public func tokenStandardDeviation(_ x: Tensor, mask: FrameMask?) -> Double {
    let d = x.shape[x.rank - 1], n = x.count / d
    let rows = mask.map { m in m.flags.indices.filter { m.flags[$0] } } ?? Array(0..<n)
    guard rows.count > 1 else { return 0 }
    let p = x.pointer
    var total = 0.0
    for c in 0..<d {
        var sum = 0.0, squares = 0.0
        for r in rows {
            let value = Double(p[r * d + c])
            sum += value
            squares += value * value
        }
        let mean = sum / Double(rows.count)
        total += max(squares / Double(rows.count) - mean * mean, 0).squareRoot()
    }
    return total / Double(d)
}

/// Wall time per part of a step, for the step-time shares.
struct PartClock {
    var teachers = 0.0, students = 0.0, predictors = 0.0, losses = 0.0

    mutating func time<R>(_ part: WritableKeyPath<PartClock, Double>, _ body: () -> R) -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        self[keyPath: part] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return result
    }

    var milliseconds: [(String, Double)] {
        [("teachers", teachers), ("students", students), ("predictors", predictors), ("losses", losses)]
    }
}
