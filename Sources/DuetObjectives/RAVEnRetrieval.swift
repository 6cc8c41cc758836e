// Where RAVEn aligns audio and video, for audio↔video retrieval: the two cross-modal predictors
// against the other modality's teacher targets, the pairs the v2a and a2v losses pull together
// (the two towers' own features live in spaces nothing aligns).
import DuetModels
import DuetNN
import DuetTensor

extension RAVEn {
    /// Audio row: [f̄_a(x_a), g_av(f_a(x_a))]; video row: [g_va(f_v(x_v)), f̄_v(x_v)]; each half a
    /// frame-aligned sequence (`alignedUnitFrames`) scaled by 1/√2, no step masked. The dot product
    /// of an audio row and a video row is then the mean of the two losses' scores, each the mean
    /// frame-by-frame cosine: ½·(cos(f̄_a, g_va(f_v)) + cos(g_av(f_a), f̄_v)). [B, 2 · steps · width].
    /// A time mean would drop the alignment, and BRAVEn's targets, normalised per channel over
    /// time, average to nothing. The audio side of the v2a pair is the v2a loss's own target (the
    /// teacher's, or the filterbank's) rather than the a2a predictor's output.
    public func retrievalFeatures(_ batch: ObjectiveBatch, tokens: Tensor, modality: Modality,
                                  context: ForwardContext) throws(ObjectiveError) -> Tensor {
        let b = tokens.shape[0]
        let lengths = stepLengths(batch, batch: b)
        let padding = lengths.allSatisfy { $0 >= steps } ? nil : lengths
        let unmasked = Tensor.zeros([b, steps, 1])
        let keyPadding = padding.map { KeyPaddingMask(lengths: $0, keys: steps) }
        let x = try require(modality, in: batch)
        let expected = [b] + (modality == .audio ? audioInput : videoInput)
        guard x.shape == expected else { throw .shapeMismatch(objective: name, what: modality.rawValue, expected: expected, got: x.shape) }
        let halves: (Tensor, Tensor) = noGrad {
            switch modality {
            case .video:
                return (videoToAudio(video.perStep(tokens), masked: unmasked, context: context, keyPadding: keyPadding),
                        targets(videoTeacher, x, padding, context))
            case .audio:
                // The v2a pair's audio side is what that loss regresses: the teacher's targets, or
                // the clip's own filterbank steps with `video_to_audio_targets: filterbank`.
                return (options.videoToAudioTargets == .filterbank ? filterbankTargets(x) : targets(audioTeacher, x, padding, context),
                        audioToVideo(audio.perStep(tokens), masked: unmasked, context: context, keyPadding: keyPadding))
            }
        }
        return noGrad {
            Tensor.concat([Self.alignedUnitFrames(halves.0, lengths: lengths), Self.alignedUnitFrames(halves.1, lengths: lengths)],
                          axis: 1) * (1 / Float(2).squareRoot())
        }
    }

    /// `frames` [B, T, D] with each of sample b's first `lengths[b]` frames L2-normalised and
    /// scaled by 1/√lengths[b], the rest zero, flattened to [B, T·D]: rows of unit length whose
    /// dot product is the mean frame-by-frame cosine over the valid frames.
    static func alignedUnitFrames(_ frames: Tensor, lengths: [Int]) -> Tensor {
        let (b, t, d) = (frames.shape[0], frames.shape[1], frames.shape[2])
        let weights = Tensor(shape: [b, t, 1], scalars: lengths.flatMap { n in
            (0..<t).map { $0 < n ? 1 / Float(max(min(n, t), 1)).squareRoot() : 0 }
        })
        return (frames.l2Normalized(axis: -1) * weights).reshaped([b, t * d])
    }
}
