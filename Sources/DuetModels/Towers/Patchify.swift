// Reconstruction targets: inputs cut into per-token pixel vectors in the order MAE (h, w, p, q, c)
// and VideoMAE ((t, h, w), (p0, p1, p2, c)) use, and their per-patch normalisations.
import DuetTensor

public enum Patchify {
    /// [B, C, H, W] → [B, (H/p)·(W/q), p·q·C], MAE's patchify.
    public static func image(_ x: Tensor, patch: (Int, Int)) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (p, q) = patch
        return x.reshaped([b, c, h / p, p, w / q, q]).permuted([0, 2, 4, 3, 5, 1]).reshaped([b, (h / p) * (w / q), p * q * c])
    }

    /// [B, C, T, H, W] → [B, (T/t)·(H/p)·(W/q), t·p·q·C], VideoMAE's rearrangement.
    public static func video(_ x: Tensor, tubelet: (Int, Int, Int)) -> Tensor {
        let (b, c, t, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (pt, ph, pw) = tubelet
        return x.reshaped([b, c, t / pt, pt, h / ph, ph, w / pw, pw]).permuted([0, 2, 4, 6, 3, 5, 7, 1])
            .reshaped([b, (t / pt) * (h / ph) * (w / pw), pt * ph * pw * c])
    }

    /// VideoMAE's normalised targets: per patch and per channel, (x − mean) / (std + eps) with
    /// the unbiased standard deviation over the patch's pixels; `patches` is [B, N, P·C].
    public static func videoMAETargets(_ patches: Tensor, channels: Int, eps: Float = 1e-6) -> Tensor {
        noGrad {
            let (b, n, pc) = (patches.shape[0], patches.shape[1], patches.shape[2])
            let grouped = patches.reshaped([b, n, pc / channels, channels])
            let centred = grouped - grouped.mean(axis: 2, keepingDims: true)
            let std = grouped.variance(axis: 2, keepingDims: true).sqrt()
            return (centred / (std + eps)).reshaped([b, n, pc])
        }
    }
}
