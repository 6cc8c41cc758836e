// Layers against timm: the ViT block (forward and every parameter gradient by timm name) and a
// 2-block VisionTransformer loaded by its timm state-dict names.
import Testing
import DuetTensor
import DuetTestSupport
@testable import DuetNN

@Suite struct TimmParityTests {
    @Test func vitBlockThroughLayers() throws {
        let fx = try Fixture.load("vit_block")
        let x = try fx.tensor("in.x", requiresGrad: true)
        let dim = x.shape[2]
        let heads = Int(fx.metadata["heads"] ?? "") ?? 3
        let mlpRatio = fx.metadataFloat("mlp_ratio") ?? 4
        let store = ParameterStore()
        let block = Block(store.builder, dim: dim, heads: heads, options: BlockOptions(mlpRatio: mlpRatio, eps: fx.metadataFloat("eps") ?? 1e-6))
        store.finalize()
        let report = try store.load(from: fx.safeTensorsFile, prefix: "param.", rename: { $0 })
        #expect(report.isExact)
        let y = block(x, context: .evaluation)
        expectClose(y, try fx.tensor("out.y"), tolerance: 1e-5, "vit_block out.y")
        y.backward(try fx.tensor("upstream.y"))
        expectClose(x.grad!, try fx.tensor("grad.x"), tolerance: 1e-4, "vit_block grad.x")
        for p in store.parameters {
            expectClose(p.gradient!, try fx.tensor("grad.param.\(p.name)"), tolerance: 1e-4, "vit_block grad.param.\(p.name)")
        }
    }

    @Test func vitTinyLoadsByTimmNames() throws {
        let fx = try Fixture.load("vit_tiny_timm")
        let x = try fx.tensor("in.x")
        let dim = try fx.shape("param.cls_token")[2]
        let patch = try fx.shape("param.patch_embed.proj.weight")[2]
        let depth = fx.keys(prefix: "param.blocks.").compactMap { Int($0.split(separator: ".")[2]) }.max()! + 1
        let heads = Int(fx.metadata["heads"] ?? "") ?? 3
        let config = VisionTransformerConfig(imageSize: (x.shape[2], x.shape[3]), patch: patch, inChannels: x.shape[1],
                                             dim: dim, depth: depth, heads: heads)
        let store = ParameterStore()
        let vit = VisionTransformer(store.builder, config: config)
        store.finalize()
        try store.load(from: fx.safeTensorsFile, prefix: "param.")
        let y = noGrad { vit.forwardFeatures(x) }
        expectClose(y, try fx.tensor("out.y"), tolerance: 1e-5, "vit_tiny_timm out.y")
    }
}
