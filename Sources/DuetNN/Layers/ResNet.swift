// ResNet-18 trunks from one rank-generic BasicBlock: torchvision's 2-D ResNet (`conv1`, `bn1`,
// `layer1.0.conv1`, …, `layer4`) and the 1-D audio ResNet of Auto-AVSR and RAVEn (`ResNet1D`).
import DuetTensor

public struct ResNetOptions: Sendable {
    /// The width of layer1; layer i is width·2^(i−1) wide (64 gives ResNet-18's 64-128-256-512).
    public var width: Int
    /// BasicBlocks per stage ([2, 2, 2, 2] is ResNet-18).
    public var blocks: [Int]
    public var activation: ActivationKind
    /// For every convolution weight (the batch norms start at weight 1, bias 0).
    public var initializer: Initializer

    public init(width: Int = 64, blocks: [Int] = [2, 2, 2, 2], activation: ActivationKind = .relu,
                initializer: Initializer = .kaimingNormalFanOut) {
        self.width = width
        self.blocks = blocks
        self.activation = activation
        self.initializer = initializer
    }

    /// torchvision's resnet18: ReLU, kaiming_normal_(mode="fan_out", nonlinearity="relu").
    public static let torchvision = ResNetOptions()

    /// Auto-AVSR and RAVEn (relu_type "swish" in their configs); their ResNets keep PyTorch's
    /// default convolution initialisation.
    public static let autoAVSR = ResNetOptions(activation: .swish, initializer: .kaimingUniformDefault)

    /// The same options with layer1 `width` wide (narrow trunks for tests and tiny recipes).
    public func width(_ width: Int) -> ResNetOptions {
        var copy = self
        copy.width = width
        return copy
    }

    /// The output width of each stage.
    public var stageWidths: [Int] { blocks.indices.map { width << $0 } }
}

/// A strided 1×1 convolution and a batch norm (`downsample.0`, `downsample.1`): the shortcut of
/// a block that changes the stride or the width.
public struct ResNetDownsample: Sendable {
    public let conv: Convolution
    public let norm: BatchNorm

    init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, stride: Int, spatialRank: Int, initializer: Initializer) {
        conv = Convolution(b.scope("0"), inChannels: inChannels, outChannels: outChannels,
                           kernel: Array(repeating: 1, count: spatialRank), stride: Array(repeating: stride, count: spatialRank),
                           bias: false, initializer: initializer)
        norm = BatchNorm(b.scope("1"), channels: outChannels)
    }

    func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor { norm(conv(x), context: context) }
}

/// act(bn2(conv2(act(bn1(conv1(x))))) + shortcut(x)) with 3×3 (or 3) convolutions, no biases.
/// torchvision's BasicBlock uses one parameterless ReLU; Auto-AVSR's BasicBlock and BasicBlock1D
/// name their two activations `relu1` and `relu2`, which hold parameters (`relu1.weight`) only
/// for PReLU. Both shapes of the block are this one.
public struct BasicBlock: Sendable {
    public let conv1: Convolution
    public let bn1: BatchNorm
    public let relu1: Activation
    public let conv2: Convolution
    public let bn2: BatchNorm
    public let relu2: Activation
    public let downsample: ResNetDownsample?

    /// `spatialRank` 2 for images (Conv2d, BatchNorm2d), 1 for waveforms (Conv1d, BatchNorm1d).
    public init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, stride: Int = 1, spatialRank: Int = 2,
                activation: ActivationKind = .relu, initializer: Initializer = .kaimingNormalFanOut) {
        let kernel = Array(repeating: 3, count: spatialRank), one = Array(repeating: 1, count: spatialRank)
        conv1 = Convolution(b.scope("conv1"), inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                            stride: one.map { $0 * stride }, padding: one, bias: false, initializer: initializer)
        bn1 = BatchNorm(b.scope("bn1"), channels: outChannels)
        relu1 = Activation(b.scope("relu1"), activation, channels: outChannels)
        conv2 = Convolution(b.scope("conv2"), inChannels: outChannels, outChannels: outChannels, kernel: kernel,
                            padding: one, bias: false, initializer: initializer)
        bn2 = BatchNorm(b.scope("bn2"), channels: outChannels)
        relu2 = Activation(b.scope("relu2"), activation, channels: outChannels)
        downsample = stride != 1 || inChannels != outChannels
            ? ResNetDownsample(b.scope("downsample"), inChannels: inChannels, outChannels: outChannels, stride: stride,
                               spatialRank: spatialRank, initializer: initializer)
            : nil
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        let h = relu1(bn1(conv1(x), context: context))
        let residual = bn2(conv2(h), context: context)
        return relu2(residual + (downsample?(x, context: context) ?? x))
    }
}

/// `layer1` … `layer4`: each stage's first block strides by 2 (but layer1's) and widens.
public struct ResNetStages: Sendable {
    public let layers: [[BasicBlock]]

    public init(_ b: ParameterBuilder, inChannels: Int, spatialRank: Int, options: ResNetOptions) {
        var channels = inChannels
        var layers: [[BasicBlock]] = []
        for (stage, (count, width)) in zip(options.blocks, options.stageWidths).enumerated() {
            let scope = b.scope("layer\(stage + 1)")
            layers.append((0..<count).map { i in
                let block = BasicBlock(scope.scope(i), inChannels: channels, outChannels: width,
                                       stride: i == 0 && stage > 0 ? 2 : 1, spatialRank: spatialRank,
                                       activation: options.activation, initializer: options.initializer)
                channels = width
                return block
            })
        }
        self.layers = layers
    }

    public var outChannels: Int { layers.last?.last?.bn2.channels ?? 0 }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        layers.joined().reduce(x) { h, block in block(h, context: context) }
    }
}

/// The stem's convolution, batch norm and activation, named `conv1`, `bn1`, `relu` as torchvision
/// and Auto-AVSR's ResNet1D name them (`relu` holds parameters only for PReLU).
public struct ResNetStem: Sendable {
    public let conv1: Convolution
    public let bn1: BatchNorm
    public let relu: Activation

    public init(_ b: ParameterBuilder, inChannels: Int, outChannels: Int, kernel: [Int], stride: [Int], padding: [Int],
                activation: ActivationKind, initializer: Initializer) {
        conv1 = Convolution(b.scope("conv1"), inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                            stride: stride, padding: padding, bias: false, initializer: initializer)
        bn1 = BatchNorm(b.scope("bn1"), channels: outChannels)
        relu = Activation(b.scope("relu"), activation, channels: outChannels)
    }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor { relu(bn1(conv1(x), context: context)) }
}

/// torchvision's resnet18 up to its global average pool (no `fc`): x [B, C, H, W] → [B, 8·width].
/// The stem is conv1 7×7 stride 2 padding 3, bn1, ReLU and a 3×3 max-pool stride 2 padding 1.
/// Without it (`stem: false`, RAVEn's trunk behind the 3-D front-end) x must have `width` channels.
public struct ResNet2d: Sendable {
    public let stem: ResNetStem?
    public let stages: ResNetStages

    public init(_ b: ParameterBuilder, inChannels: Int = 3, stem: Bool = true, options: ResNetOptions = .torchvision) {
        self.stem = stem
            ? ResNetStem(b, inChannels: inChannels, outChannels: options.width, kernel: [7, 7], stride: [2, 2],
                         padding: [3, 3], activation: options.activation, initializer: options.initializer)
            : nil
        stages = ResNetStages(b, inChannels: stem ? options.width : inChannels, spatialRank: 2, options: options)
    }

    public var outFeatures: Int { stages.outChannels }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        var h = x
        if let stem { h = pool2d(.max, stem(h, context: context), kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        h = stages(h, context: context)
        return h.reshaped([h.shape[0], h.shape[1], -1]).mean(axis: 2)
    }
}

/// How `ResNet1d` pools its last stage over time.
public enum ResNet1dPooling: Sendable, Equatable {
    /// Auto-AVSR's AvgPool1d(kernel = stride = n): with n = 20, 16 kHz audio gives 25 feature
    /// frames a second, one per video frame (n = 20 / a_upsample_ratio there).
    case frames(Int)
    /// The mean over all time steps.
    case global
}

/// Auto-AVSR's (and RAVEn's) audio ResNet1D on raw waveforms [B, 1, samples]: a stem `conv1`
/// (kernel 80, stride 4, padding 38, no bias: 5 ms windows every 0.25 ms at 16 kHz), `bn1`, the
/// activation, then layer1…layer4 of 1-D BasicBlocks (8× more downsampling), then `pooling`.
/// `.frames(20)` gives [B, samples/640, 8·width] (Auto-AVSR crops the input to a multiple of 640
/// samples first and transposes the result to time-major, as here); `.global` gives [B, 8·width].
/// Build it under `trunk` for Auto-AVSR's `Conv1dResNet` names (`trunk.conv1.weight`, …).
public struct ResNet1d: Sendable {
    public let stem: ResNetStem
    public let stages: ResNetStages
    public let pooling: ResNet1dPooling

    public init(_ b: ParameterBuilder, inChannels: Int = 1, options: ResNetOptions = .autoAVSR,
                pooling: ResNet1dPooling = .frames(20)) {
        stem = ResNetStem(b, inChannels: inChannels, outChannels: options.width, kernel: [80], stride: [4], padding: [38],
                          activation: options.activation, initializer: options.initializer)
        stages = ResNetStages(b, inChannels: options.width, spatialRank: 1, options: options)
        self.pooling = pooling
    }

    public var outFeatures: Int { stages.outChannels }

    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        let h = stages(stem(x, context: context), context: context)
        switch pooling {
        case .frames(let n): return pool1d(.average, h, kernel: n).transposed(1, 2)
        case .global: return h.mean(axis: 2)
        }
    }
}
