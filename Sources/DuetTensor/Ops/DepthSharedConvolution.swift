// 3-D convolutions with depth stride 1 (RAVEn's stem: kernel 5×7×7 over every frame) share their
// columns between depth taps, so im2col writes kD times fewer of them than a full 3-D im2col.

/// The forward and backward passes of such a convolution, sample by sample: im2col of every
/// (zero-padded) frame once — rows (c, kh, kw), one block of P = outH·outW columns per frame —
/// then per depth tap kd, y += W_kd · (the columns starting kd frames on), as output frame od reads
/// padded frames od…od + kD − 1. Only for one group (all that a lip-reading stem needs).
struct DepthSharedConvolutionPlan {
    let window: SlidingWindow
    /// The window of one frame: depth kernel 1, the depth padding kept as zero frames.
    let frames: SlidingWindow
    let batch, channels, outChannels: Int

    init?(window: SlidingWindow, batch: Int, channels: Int, outChannels: Int, groups: Int) {
        guard window.rank == 3, window.kD > 1, window.sD == 1, groups == 1 else { return nil }
        self.window = window
        frames = SlidingWindow(spatial: [window.inD, window.inH, window.inW], kernel: [1, window.kH, window.kW],
                               stride: [1, window.sH, window.sW], padding: [window.pD, window.pH, window.pW])
        self.batch = batch
        self.channels = channels
        self.outChannels = outChannels
    }

    var tapRows: Int { channels * window.kH * window.kW }
    var framePositions: Int { window.outH * window.outW }
    /// Columns of one sample: every padded frame's positions.
    var columns: Int { frames.outputCount }

    /// W [out, C, kD, kH·kW] regrouped as [kD, out, C·kH·kW] (or back, `fromTaps`), so that
    /// each tap's weights are one matrix.
    private func regroup(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, fromTaps: Bool) {
        let plane = window.kH * window.kW, kD = window.kD
        for kd in 0..<kD {
            for o in 0..<outChannels {
                for c in 0..<channels {
                    let tap = ((kd * outChannels + o) * channels + c) * plane
                    let full = ((o * channels + c) * kD + kd) * plane
                    let (from, to) = fromTaps ? (tap, full) : (full, tap)
                    (dst + to).update(from: src + from, count: plane)
                }
            }
        }
    }

    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                 _ y: UnsafeMutablePointer<Float>) {
        let taps = Tensor(uninitializedShape: [window.kD * outChannels * tapRows])
        regroup(w, taps.pointer, fromTaps: false)
        let cols = Tensor(uninitializedShape: [tapRows * columns])
        let positions = window.outputCount
        if let bias { fillPlanes(y, with: bias, batch: batch, channels: outChannels, plane: positions) }
        for b in 0..<batch {
            im2col(x + b * channels * window.inputCount, samples: 1, channels: channels, frames, cols.pointer)
            for kd in 0..<window.kD {
                stridedSgemm(transposeA: false, transposeB: false, m: outChannels, n: positions, k: tapRows,
                             taps.pointer + kd * outChannels * tapRows, lda: tapRows,
                             cols.pointer + kd * framePositions, ldb: columns,
                             beta: kd == 0 && bias == nil ? 0 : 1, y + b * outChannels * positions, ldc: positions)
            }
        }
    }

    /// gw += Σ_kd regrouped gY·(columns kd frames on)ᵀ and gx = col2im(Σ_kd W_kdᵀ·gY placed kd
    /// frames on); one column buffer serves both, as in the general plan.
    func backward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                  _ gx: UnsafeMutablePointer<Float>?, _ gw: UnsafeMutablePointer<Float>?) {
        guard gx != nil || gw != nil else { return }
        let tapCount = window.kD * outChannels * tapRows, positions = window.outputCount
        let taps = Tensor(uninitializedShape: [tapCount])
        regroup(w, taps.pointer, fromTaps: false)
        let gTaps = Tensor.zeros([tapCount])
        let cols = Tensor(uninitializedShape: [tapRows * columns])
        for b in 0..<batch {
            let gyb = gy + b * outChannels * positions
            if gw != nil {
                im2col(x + b * channels * window.inputCount, samples: 1, channels: channels, frames, cols.pointer)
                for kd in 0..<window.kD {
                    stridedSgemm(transposeA: false, transposeB: true, m: outChannels, n: tapRows, k: positions,
                                 gyb, lda: positions, cols.pointer + kd * framePositions, ldb: columns,
                                 beta: 1, gTaps.pointer + kd * outChannels * tapRows, ldc: tapRows)
                }
            }
            if let gx {
                // The taps' column ranges overlap: accumulate them all on zeros.
                cols.pointer.update(repeating: 0, count: tapRows * columns)
                for kd in 0..<window.kD {
                    stridedSgemm(transposeA: true, transposeB: false, m: tapRows, n: positions, k: outChannels,
                                 taps.pointer + kd * outChannels * tapRows, lda: tapRows, gyb, ldb: positions,
                                 beta: 1, cols.pointer + kd * framePositions, ldc: columns)
                }
                col2im(cols.pointer, samples: 1, channels: channels, frames, gx + b * channels * window.inputCount)
            }
        }
        if let gw {
            let full = Tensor(uninitializedShape: [tapCount])
            regroup(gTaps.pointer, full.pointer, fromTaps: true)
            for i in 0..<tapCount { gw[i] += full.pointer[i] }
        }
    }
}
