// Single frames out of a clip, for image models on video (MVD's image teacher, mae-image): every
// `stride`-th frame of [B, C, T, H, W] as images [B·T/stride, C, H, W], clip by clip, frame by
// frame, so a per-frame image model's tokens line up with the clip's t×p×p tubelets.
import DuetTensor

public enum VideoFrames {
    /// Frames 0, stride, 2·stride, … of each clip: [B·(T/stride), C, H, W]. `T` must be a
    /// multiple of `stride`.
    public static func sampled(_ video: Tensor, stride: Int) -> Tensor {
        precondition(video.rank == 5 && stride > 0 && video.shape[2] % stride == 0,
                     "frames every \(stride) of a video \(video.shape)")
        let (b, c, t, h, w) = (video.shape[0], video.shape[1], video.shape[2], video.shape[3], video.shape[4])
        let kept = t / stride
        var frames = video
        if stride > 1 {
            frames = video.reshaped([b, c, kept, stride, h * w]).narrowed(axis: 3, start: 0, length: 1)
        }
        return frames.reshaped([b, c, kept, h * w]).permuted([0, 2, 1, 3]).reshaped([b * kept, c, h, w])
    }

    /// Per-frame tokens [B·T', L, D] regrouped per clip as [B, T'·L, D] (MVD's `(b t) l c -> b (t l) c`).
    public static func regrouped(_ tokens: Tensor, clips: Int) -> Tensor {
        let (n, l, d) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        precondition(n % clips == 0, "\(n) frames for \(clips) clips")
        return tokens.reshaped([clips, (n / clips) * l, d])
    }
}
