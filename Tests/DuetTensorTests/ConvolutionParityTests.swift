// Parity with PyTorch for convolutions, pooling and batch norm: the conv fixtures, the patch and
// tubelet embeddings, the RAVEn lip front-end stem and a ResNet BasicBlock. Shapes come from the
// files; only hyper-parameters (kernel, stride, padding) come from the metadata or make_fixtures.py.
import Testing
import DuetTestSupport
@testable import DuetTensor

/// Every `in.*` and `param.*` entry of `fixture` as a trainable leaf, keyed by its entry name.
private func trainableLeaves(_ fixture: Fixture) throws -> [String: Tensor] {
    var leaves: [String: Tensor] = [:]
    for key in fixture.keys(prefix: "in.") + fixture.keys(prefix: "param.") {
        leaves[key] = try fixture.tensor(key, requiresGrad: true)
    }
    return leaves
}

/// An integer hyper-parameter from the fixture's metadata.
private func metadataInt(_ fixture: Fixture, _ key: String) throws -> Int {
    let value = try #require(fixture.metadataFloat(key), "\(fixture.name): metadata \(key) missing")
    return Int(value)
}

/// Checks `output` against `out.y` (given in the fixture's layout by `layout`), back-propagates
/// `upstream.y` through it and checks the gradient of every leaf against `grad.*`.
private func expectParity(_ fixture: Fixture, output: Tensor, leaves: [String: Tensor],
                          layout: (Tensor) -> Tensor = { $0 }, sourceLocation: SourceLocation = #_sourceLocation) throws {
    expectClose(layout(output), try fixture.tensor("out.y"), tolerance: forwardTolerance, "\(fixture.name) out.y",
                sourceLocation: sourceLocation)
    // layout is a permutation here, so its inverse applied to the upstream is its transpose.
    output.backward(layout(try fixture.tensor("upstream.y")).reshaped(output.shape))
    for (key, leaf) in leaves.sorted(by: { $0.key < $1.key }) {
        let gradKey = key.hasPrefix("in.") ? "grad." + key.dropFirst(3) : "grad." + key
        guard let grad = leaf.grad else {
            Issue.record("\(fixture.name): \(key) got no gradient", sourceLocation: sourceLocation)
            continue
        }
        expectClose(grad, try fixture.tensor(gradKey), tolerance: gradientTolerance, "\(fixture.name) \(gradKey)",
                    sourceLocation: sourceLocation)
    }
}

/// [B, R, C] → [B, C, R] by a plain loop (PyTorch's flatten(2).transpose(1, 2) on a conv output
/// seen as [B, D, L], and back for the upstream gradient).
private func swappingLastTwoAxes(_ t: Tensor) -> Tensor {
    let batch = t.shape[0], rows = t.shape[1], cols = t.count / (batch * rows)
    let out = Tensor(uninitializedShape: [batch, cols, rows])
    for b in 0..<batch {
        let src = t.pointer + b * rows * cols, dst = out.pointer + b * rows * cols
        for r in 0..<rows { for c in 0..<cols { dst[c * rows + r] = src[r * cols + c] } }
    }
    return out
}

@Suite struct ConvolutionParityTests {
    @Test func conv1dGrouped() throws {
        let f = try Fixture.load("conv1d_grouped")
        let leaves = try trainableLeaves(f)
        let y = conv1d(try #require(leaves["in.x"]), weight: try #require(leaves["param.weight"]), bias: leaves["param.bias"],
                       padding: try metadataInt(f, "padding"), groups: try metadataInt(f, "groups"))
        try expectParity(f, output: y, leaves: leaves)
    }

    @Test func conv2dStrided() throws {
        let f = try Fixture.load("conv2d_strided")
        let leaves = try trainableLeaves(f)
        let s = try metadataInt(f, "stride"), p = try metadataInt(f, "padding")
        let y = conv2d(try #require(leaves["in.x"]), weight: try #require(leaves["param.weight"]), bias: leaves["param.bias"],
                       stride: (s, s), padding: (p, p))
        try expectParity(f, output: y, leaves: leaves)
    }

    /// Patch and tubelet embeddings: kernel = stride = the weight's spatial shape, no padding;
    /// the output is flattened to tokens, [B, positions, D].
    @Test(arguments: ["patch_embed_2d", "tubelet_embed_3d"])
    func patchEmbedding(_ name: String) throws {
        let f = try Fixture.load(name)
        let leaves = try trainableLeaves(f)
        let weight = try #require(leaves["param.weight"])
        let kernel = Array(weight.shape[2...])
        let y = convolution(try #require(leaves["in.x"]), weight: weight, bias: leaves["param.bias"],
                            stride: kernel, padding: kernel.map { _ in 0 })
        let features = y.reshaped([y.shape[0], y.shape[1], -1])
        try expectParity(f, output: features, leaves: leaves, layout: swappingLastTwoAxes)
    }
}

@Suite struct ConvNetBlockParityTests {
    /// RAVEn / Auto-AVSR stem: Conv3d 5×7×7 stride (1,2,2) padding (2,3,3), no bias →
    /// BatchNorm3d in training → SiLU → MaxPool3d (1,3,3) stride (1,2,2) padding (0,1,1).
    @Test func lipFrontendStem() throws {
        let f = try Fixture.load("lip_frontend_stem")
        let leaves = try trainableLeaves(f)
        let weight = try #require(leaves["param.0.weight"])
        let runningMean = Tensor.zeros([weight.shape[0]]), runningVar = Tensor.ones([weight.shape[0]])
        let conv = conv3d(try #require(leaves["in.x"]), weight: weight, stride: (1, 2, 2), padding: (2, 3, 3))
        let normed = batchNorm(conv, weight: leaves["param.1.weight"], bias: leaves["param.1.bias"],
                               runningMean: runningMean, runningVar: runningVar, training: true, momentum: 0.1, eps: 1e-5)
        let y = pool3d(.max, normed.silu(), kernel: (1, 3, 3), stride: (1, 2, 2), padding: (0, 1, 1))
        try expectParity(f, output: y, leaves: leaves)
        expectClose(runningMean, try f.tensor("out.running_mean"), tolerance: forwardTolerance, "running_mean")
        expectClose(runningVar, try f.tensor("out.running_var"), tolerance: forwardTolerance, "running_var")
    }

    /// torchvision BasicBlock(8 → 16, stride 2) with a 1×1 downsample, batch norm in eval mode:
    /// relu(bn2(conv2(relu(bn1(conv1(x))))) + bn(conv1x1(x))).
    @Test func resnetBasicBlock() throws {
        let f = try Fixture.load("resnet_basic_block")
        let leaves = try trainableLeaves(f)
        func param(_ name: String) throws -> Tensor { try #require(leaves["param." + name], "param.\(name) missing") }
        func bn(_ x: Tensor, _ name: String) throws -> Tensor {
            batchNorm(x, weight: try param(name + ".weight"), bias: try param(name + ".bias"),
                      runningMean: try f.tensor("buffer.\(name).running_mean"),
                      runningVar: try f.tensor("buffer.\(name).running_var"), training: false)
        }
        let x = try #require(leaves["in.x"])
        let h = try bn(conv2d(x, weight: param("conv1.weight"), stride: (2, 2), padding: (1, 1)), "bn1").relu()
        let main = try bn(conv2d(h, weight: param("conv2.weight"), padding: (1, 1)), "bn2")
        let shortcut = try bn(conv2d(x, weight: param("downsample.0.weight"), stride: (2, 2)), "downsample.1")
        try expectParity(f, output: (main + shortcut).relu(), leaves: leaves)
    }
}
