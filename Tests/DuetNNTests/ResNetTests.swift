// Convolution layers, batch norm, the ResNet-18s and the RAVEn / Auto-AVSR lip-reading front-end:
// parity with the PyTorch fixtures through the layers, names as the reference state dicts spell
// them, shapes on tiny inputs, and a finite-difference check of a block.
import Testing
import DuetTensor
import DuetTestSupport
@testable import DuetNN

/// The five state-dict entries of a PyTorch BatchNorm under `prefix`.
private func batchNormKeys(_ prefix: String) -> [String] {
    ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map { "\(prefix).\($0)" }
}

/// The state-dict keys of a ResNet-18's layer1…layer4 under `prefix` (torchvision and RAVEn alike):
/// two BasicBlocks a stage, a downsample in the first block of layer2, layer3 and layer4.
private func resNetStageKeys(_ prefix: String) -> [String] {
    var keys: [String] = []
    for layer in 1...4 {
        for block in 0..<2 {
            let p = "\(prefix)layer\(layer).\(block)"
            keys += ["\(p).conv1.weight"] + batchNormKeys("\(p).bn1") + ["\(p).conv2.weight"] + batchNormKeys("\(p).bn2")
            if layer > 1 && block == 0 { keys += ["\(p).downsample.0.weight"] + batchNormKeys("\(p).downsample.1") }
        }
    }
    return keys
}

private let training = ForwardContext(isTraining: true)

@Suite struct ResNetTests {
    /// frontend3D of RAVEn / Auto-AVSR (Conv3d → BatchNorm3d in training → SiLU → MaxPool3d)
    /// against `lip_frontend_stem`, loaded by its nn.Sequential names, running statistics included.
    @Test func lipReadingStemMatchesPyTorch() throws {
        let f = try Fixture.load("lip_frontend_stem")
        let kernel = try f.shape("param.0.weight")
        let store = ParameterStore(seed: 0)
        let stem = LipReadingStem(store.builder, inChannels: kernel[1], channels: kernel[0])
        store.finalize()
        let loaded = try f.loadParameters(into: store)
        #expect(loaded == Set(store.parameters.filter(\.isTrainable).map(\.name)))
        let x = try f.tensor("in.x", requiresGrad: true)
        try f.expectParity(stem(x, context: training), inputs: ["x": x], store: store)
        expectClose(store["1.running_mean"]!.value, try f.tensor("out.running_mean"), tolerance: forwardTolerance, "running_mean")
        expectClose(store["1.running_var"]!.value, try f.tensor("out.running_var"), tolerance: forwardTolerance, "running_var")
        #expect(store["1.num_batches_tracked"]!.value.scalars == [1])
    }

    /// torchvision's BasicBlock (ReLU, downsample, eval-mode batch norm) against
    /// `resnet_basic_block`, every parameter and running statistic loaded by torchvision's names.
    @Test func basicBlockMatchesTorchvision() throws {
        let f = try Fixture.load("resnet_basic_block")
        let kernel = try f.shape("param.conv1.weight")
        let stride = try f.shape("in.x")[2] / f.shape("out.y")[2]
        let store = ParameterStore(seed: 0)
        let block = BasicBlock(store.builder, inChannels: kernel[1], outChannels: kernel[0], stride: stride)
        store.finalize()
        let loaded = try f.loadParameters(into: store)
        #expect(loaded == Set(store.names.filter { !$0.hasSuffix("num_batches_tracked") }))
        let x = try f.tensor("in.x", requiresGrad: true)
        try f.expectParity(block(x, context: .evaluation), inputs: ["x": x], store: store)
        #expect(store["bn1.num_batches_tracked"]!.value.scalars == [0], "evaluation must not count steps")
    }

    /// A 1-D BasicBlock with a downsample, Swish and batch norm in training, by finite differences.
    @Test func basicBlockGradients() {
        let store = ParameterStore(seed: 3)
        let block = BasicBlock(store.builder, inChannels: 2, outChannels: 3, stride: 2, spatialRank: 1,
                               activation: .swish, initializer: .kaimingUniformDefault)
        store.finalize()
        // Batch-norm affine parameters away from their 1 / 0 start, so their gradients are generic.
        for p in store.parameters where p.role == .norm {
            let jitter = Tensor.randomNormal(p.shape, std: 0.3, stream: RandomStream(seed: 5))
            for i in 0..<p.count { p.value.pointer[i] += jitter.pointer[i] }
        }
        let x = Tensor.randomNormal([3, 2, 6], stream: RandomStream(seed: 4)).requiringGrad()
        checkModuleGradients(store: store, inputs: [x]) { block(x, context: training) }
    }

    @Test func preluSlopesAndGradients() {
        let store = ParameterStore(seed: 1)
        let prelu = Activation(store.builder, .prelu, channels: 3)
        store.finalize()
        #expect(store.names == ["weight"] && store["weight"]!.role.decays == false)
        prelu.weight!.value.pointer[1] = -0.5
        // Inputs kept 0.1 away from the kink at 0, so central differences do not straddle it.
        let x = Tensor.randomNormal([2, 3, 4], stream: RandomStream(seed: 2)).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        let y = noGrad { prelu(x) }
        for i in 0..<x.count {
            let slope: Float = [0.25, -0.5, 0.25][(i / 4) % 3]
            #expect(abs(y.pointer[i] - (x.pointer[i] > 0 ? x.pointer[i] : slope * x.pointer[i])) < 1e-6)
        }
        x.requiringGrad()
        checkModuleGradients(store: store, inputs: [x]) { prelu(x) }
    }

    /// PyTorch's nn.ConvNd defaults: weight [out, in/groups, k…] in U(±1/√fan_in), bias likewise.
    @Test func convolutionLayersFollowPyTorch() {
        let store = ParameterStore(seed: 2)
        let conv1 = Conv1d(store.builder.scope("c1"), inChannels: 8, outChannels: 4, kernel: 5, padding: 2, groups: 2)
        let conv2 = Conv2d(store.builder.scope("c2"), inChannels: 3, outChannels: 6, kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        let conv3 = Conv3d(store.builder.scope("c3"), inChannels: 2, outChannels: 4, kernel: (1, 3, 3), bias: false)
        store.finalize()
        #expect(conv1.weight.shape == [4, 4, 5] && conv2.weight.shape == [6, 3, 3, 3] && conv3.weight.shape == [4, 2, 1, 3, 3])
        #expect(conv3.bias == nil && store.names == ["c1.weight", "c1.bias", "c2.weight", "c2.bias", "c3.weight"])
        for (p, fanIn) in [(conv1.weight, 20), (conv1.bias!, 20), (conv2.weight, 27), (conv2.bias!, 27)] {
            let bound = 1 / Float(fanIn).squareRoot()
            #expect(p.value.scalars.allSatisfy { abs($0) <= bound } && p.value.scalars.contains { abs($0) > bound / 2 })
        }
        let rng = RandomStream(seed: 9)
        #expect(conv1(Tensor.randomNormal([2, 8, 10], stream: rng)).shape == [2, 4, 10])
        #expect(conv2(Tensor.randomNormal([2, 3, 9, 8], stream: rng)).shape == [2, 6, 5, 4])
        #expect(conv3(Tensor.randomNormal([1, 2, 3, 5, 5], stream: rng)).shape == [1, 4, 3, 3, 3])
    }

    /// Training normalises by the batch and moves the running statistics (momentum 0.1);
    /// evaluation normalises by the running statistics and leaves them alone.
    @Test func batchNormTrainingAndEvaluation() {
        let store = ParameterStore()
        let norm = BatchNorm(store.builder, channels: 2)
        store.finalize()
        #expect(store.names == batchNormKeys("").map { String($0.dropFirst()) })
        #expect(store.parameters.filter(\.isTrainable).map(\.name) == ["weight", "bias"])
        // Channel 0 holds 1, 3 (mean 2, unbiased variance 2); channel 1 holds 0, 0.
        let x = Tensor(shape: [2, 2, 1], scalars: [1, 0, 3, 0])
        let y = norm(x, context: training)
        #expect(abs(y.pointer[0] + 1) < 1e-3 && abs(y.pointer[2] - 1) < 1e-3)
        #expect(norm.runningMean.value.scalars == [0.2, 0] && abs(norm.runningVar.value.pointer[0] - 1.1) < 1e-6)
        #expect(norm.numBatchesTracked.value.scalars == [1])
        let evaluated = norm(x, context: .evaluation)
        let expected = (1 - 0.2) / (1.1 + 1e-5 as Float).squareRoot()
        #expect(abs(evaluated.pointer[0] - expected) < 1e-5)
        #expect(norm.runningMean.value.scalars == [0.2, 0] && norm.numBatchesTracked.value.scalars == [1])
    }

    /// torchvision's resnet18 without `fc`: its 120 other state-dict keys and 11 176 512 trainable
    /// parameters (11 689 512 with the 513 000 of fc).
    @Test func resNet18HasTorchvisionNames() {
        let store = ParameterStore(seed: 1)
        let net = ResNet2d(store.builder)
        #expect(Set(store.names) == Set(["conv1.weight"] + batchNormKeys("bn1") + resNetStageKeys("")))
        #expect(store.names.count == 120)
        #expect(store.trainableScalarCount == 11_176_512)
        #expect(store["layer3.0.downsample.0.weight"]?.shape == [256, 128, 1, 1])
        #expect(net.outFeatures == 512)
    }

    @Test func narrowResNet18Shapes() {
        let store = ParameterStore(seed: 1)
        let net = ResNet2d(store.builder, options: .torchvision.width(4))
        store.finalize()
        let x = Tensor.randomNormal([2, 3, 32, 32], stream: RandomStream(seed: 2))
        #expect(net(x, context: .evaluation).shape == [2, 32])
        #expect(net(x, context: training).shape == [2, 32])
        let trunkStore = ParameterStore(seed: 1)
        let trunk = ResNet2d(trunkStore.builder, inChannels: 4, stem: false, options: .torchvision.width(4))
        trunkStore.finalize()
        #expect(!trunkStore.names.contains("conv1.weight") && trunkStore.names.count == 114)
        #expect(trunk(Tensor.randomNormal([3, 4, 6, 6], stream: RandomStream(seed: 3)), context: .evaluation).shape == [3, 32])
    }

    /// Auto-AVSR's audio ResNet1D: 640 samples a frame at 16 kHz, or one global vector.
    @Test func resNet1dShapesAndNames() {
        let store = ParameterStore(seed: 1)
        let net = ResNet1d(store.builder.scope("trunk"), options: .autoAVSR.width(4))
        let global = ResNet1d(store.builder.scope("global"), options: .autoAVSR.width(4), pooling: .global)
        store.finalize()
        #expect(Set(store.parameters(under: "trunk").map(\.name))
            == Set(["trunk.conv1.weight"] + batchNormKeys("trunk.bn1") + resNetStageKeys("trunk.")))
        #expect(store["trunk.conv1.weight"]?.shape == [4, 1, 80])
        #expect(store["trunk.layer4.0.downsample.0.weight"]?.shape == [32, 16, 1])
        let x = Tensor.randomNormal([2, 1, 1280], stream: RandomStream(seed: 2))
        #expect(net(x, context: training).shape == [2, 2, 32])
        #expect(global(x, context: .evaluation).shape == [2, 32])
    }

    /// RAVEn's Conv3dResNet state dict: frontend3D.{0,1}.* and trunk.layer1…4 (no trunk stem),
    /// 11 182 784 trainable parameters at width 64.
    @Test func lipReadingFrontendHasRAVEnNames() {
        let store = ParameterStore(seed: 1)
        _ = LipReadingFrontend(store.builder)
        let expected = ["frontend3D.0.weight"] + batchNormKeys("frontend3D.1") + resNetStageKeys("trunk.")
        #expect(Set(store.names) == Set(expected) && store.names.count == expected.count)
        #expect(store["frontend3D.0.weight"]?.shape == [64, 1, 5, 7, 7])
        #expect(store["trunk.layer4.1.bn2.running_var"]?.shape == [512])
        #expect(store.trainableScalarCount == 11_182_784)
    }

    /// Mouth crops [B, 1, T, H, W] → [B, T, 8·width]; training back-propagates to the stem.
    @Test func lipReadingFrontendShapes() {
        let store = ParameterStore(seed: 1)
        let frontend = LipReadingFrontend(store.builder, options: .autoAVSR.width(4))
        store.finalize()
        let x = Tensor.randomNormal([1, 1, 2, 24, 24], stream: RandomStream(seed: 2))
        #expect(frontend(x, context: .evaluation).shape == [1, 2, 32])
        let y = frontend(x, context: training)
        #expect(y.shape == [1, 2, 32])
        y.sum().backward()
        #expect(store["frontend3D.0.weight"]!.gradient!.scalars.contains { $0 != 0 })
        #expect(store["frontend3D.1.num_batches_tracked"]!.value.scalars == [1])
    }
}
