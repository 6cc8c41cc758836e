// Where RAVEn aligns audio and video, for audio↔video retrieval: the video student's frames
// through the video→audio predictor against the audio teacher's targets, the pair its v2a loss
// pulls together (the two towers' own features live in spaces nothing aligns).
import DuetModels
import DuetNN
import DuetTensor

extension RAVEn {
    /// Video: g_va(f_v(x_v)) with no step masked; audio: the audio teacher's targets f̄_a(x_a);
    /// both as frame-aligned sequences (`alignedUnitFrames`), so that the cosine of two rows is
    /// the mean over frames of the frame-by-frame cosine the v2a loss scores. [B, steps × audio
    /// width]. A time mean would drop the alignment, and BRAVEn's targets, normalised per channel
    /// over time, average to nothing. The audio side is the teacher's targets rather than the a2a
    /// predictor's output: they are what the v2a loss regresses, where a second predictor would
    /// add its own error.
    public func retrievalFeatures(_ batch: ObjectiveBatch, tokens: Tensor, modality: Modality,
                                  context: ForwardContext) throws(ObjectiveError) -> Tensor {
        let b = tokens.shape[0]
        let lengths = stepLengths(batch, batch: b)
        let padding = lengths.allSatisfy { $0 >= steps } ? nil : lengths
        let frames: Tensor
        switch modality {
        case .video:
            frames = noGrad {
                videoToAudio(video.perStep(tokens), masked: Tensor.zeros([b, steps, 1]), context: context,
                             keyPadding: padding.map { KeyPaddingMask(lengths: $0, keys: steps) })
            }
        case .audio:
            let a = try require(.audio, in: batch)
            guard a.shape == [b] + audioInput else { throw .shapeMismatch(objective: name, what: "audio", expected: [b] + audioInput, got: a.shape) }
            frames = noGrad { targets(audioTeacher, a, padding, context) }
        }
        return noGrad { Self.alignedUnitFrames(frames, lengths: lengths) }
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
