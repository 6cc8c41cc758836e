// The lip-reading front-end of RAVEn and Auto-AVSR (their `Conv3dResNet`): a 3-D convolutional
// stem `frontend3D`, then a per-frame 2-D ResNet-18 `trunk` without its own stem, to [B, T, 512].
import DuetTensor

/// `frontend3D`, an nn.Sequential: `0` Conv3d 1→C kernel (5, 7, 7) stride (1, 2, 2) padding
/// (2, 3, 3) without bias, `1` BatchNorm3d, `2` the activation (Swish in both papers; `2.weight`
/// exists only for PReLU), `3` MaxPool3d (1, 3, 3) stride (1, 2, 2) padding (0, 1, 1).
/// [B, 1, T, H, W] → [B, C, T, H/4, W/4] (rounded up).
public struct LipReadingStem: Sendable {
    public let conv: Conv3d
    public let norm: BatchNorm
    public let activation: Activation

    public init(_ b: ParameterBuilder, inChannels: Int = 1, channels: Int = 64, activation: ActivationKind = .swish,
                initializer: Initializer = .kaimingUniformDefault) {
        conv = Conv3d(b.scope("0"), inChannels: inChannels, outChannels: channels, kernel: (5, 7, 7), stride: (1, 2, 2),
                      padding: (2, 3, 3), bias: false, initializer: initializer)
        norm = BatchNorm(b.scope("1"), channels: channels)
        self.activation = Activation(b.scope("2"), activation, channels: channels)
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        pool3d(.max, activation(norm(conv(x), context: context)), kernel: (1, 3, 3), stride: (1, 2, 2), padding: (0, 1, 1))
    }
}

/// RAVEn / Auto-AVSR's `Conv3dResNet` (backbone "resnet"): `frontend3D` then every frame through
/// `trunk`, their ResNet (BasicBlocks ×[2, 2, 2, 2], no stem, global average pool). Their trunk's
/// blocks use the same activation as the stem (`relu_type`, Swish in both papers' configs) and
/// PyTorch's default initialisation, which `ResNetOptions.autoAVSR` gives. Names match their state
/// dicts: `frontend3D.0.weight`, `frontend3D.1.running_mean`, `trunk.layer2.0.downsample.0.weight`.
public struct LipReadingFrontend: Sendable {
    public let frontend3D: LipReadingStem
    public let trunk: ResNet2d

    /// `options.width` is the stem's width too (64 in the papers: features of 512).
    public init(_ b: ParameterBuilder, options: ResNetOptions = .autoAVSR) {
        frontend3D = LipReadingStem(b.scope("frontend3D"), channels: options.width, activation: options.activation,
                                    initializer: options.initializer)
        trunk = ResNet2d(b.scope("trunk"), inChannels: options.width, stem: false, options: options)
    }

    public var outFeatures: Int { trunk.outFeatures }

    /// Grayscale mouth crops x [B, 1, T, H, W] → one feature vector per frame, [B, T, 8·width].
    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        let h = frontend3D(x, context: context)
        let (batch, channels, frames) = (h.shape[0], h.shape[1], h.shape[2])
        let perFrame = h.transposed(1, 2).reshaped([batch * frames, channels, h.shape[3], h.shape[4]])
        return trunk(perFrame, context: context).reshaped([batch, frames, -1])
    }
}
