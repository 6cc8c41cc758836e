// Parity with PyTorch for the core ops: every forward output and every gradient of the fixtures
// linear, layernorm, gelu_erf, gelu_tanh, softmax, attention, attention_padded,
// instance_norm_time, l2_normalize and vit_block. Shapes come from the files.
import Testing
import DuetTestSupport
@testable import DuetTensor

/// Forward within 1e-5 and gradients within 1e-4 relative, as the fixtures README sets
/// (shared by every parity test of this target).
let forwardTolerance = 1e-5
let gradientTolerance = 1e-4

/// Runs `f` on the fixture's inputs and parameters (all requiring gradients), back-propagates
/// `upstream.y`, and compares `out.y` and every `grad.*` with the file.
func checkParity(_ name: String, inputs: [String], params: [String] = [],
                 sourceLocation: SourceLocation = #_sourceLocation,
                 _ f: (_ inputs: [Tensor], _ params: [Tensor]) -> Tensor) throws {
    let fx = try Fixture.load(name)
    let xs = try inputs.map { try fx.tensor("in.\($0)", requiresGrad: true) }
    let ps = try params.map { try fx.tensor("param.\($0)", requiresGrad: true) }
    let y = f(xs, ps)
    let expected = try fx.tensor("out.y")
    expectClose(y, expected, tolerance: forwardTolerance, "\(name) out.y", sourceLocation: sourceLocation)
    y.backward(try fx.tensor("upstream.y").reshaped(y.shape))
    for (key, x) in zip(inputs, xs) where fx.has("grad.\(key)") {
        guard let grad = x.grad else { Issue.record("\(name): no gradient for \(key)", sourceLocation: sourceLocation); continue }
        expectClose(grad, try fx.tensor("grad.\(key)"), tolerance: gradientTolerance, "\(name) grad.\(key)", sourceLocation: sourceLocation)
    }
    for (key, p) in zip(params, ps) where fx.has("grad.param.\(key)") {
        guard let grad = p.grad else { Issue.record("\(name): no gradient for \(key)", sourceLocation: sourceLocation); continue }
        expectClose(grad, try fx.tensor("grad.param.\(key)"), tolerance: gradientTolerance, "\(name) grad.param.\(key)", sourceLocation: sourceLocation)
    }
}

@Suite struct CoreParityTests {
    @Test func linear() throws {
        try checkParity("linear", inputs: ["x"], params: ["weight", "bias"]) { x, p in
            Tensor.linear(x[0], weight: p[0], bias: p[1])
        }
    }

    @Test func layerNorm() throws {
        let eps = try Fixture.load("layernorm").metadataFloat("eps") ?? 1e-5
        try checkParity("layernorm", inputs: ["x"], params: ["weight", "bias"]) { x, p in
            x[0].layerNorm(weight: p[0], bias: p[1], eps: eps)
        }
    }

    @Test func geluAndSoftmax() throws {
        try checkParity("gelu_erf", inputs: ["x"]) { x, _ in x[0].gelu() }
        try checkParity("gelu_tanh", inputs: ["x"]) { x, _ in x[0].gelu(approximate: .tanh) }
        try checkParity("softmax", inputs: ["x"]) { x, _ in x[0].softmax() }
    }

    @Test func attention() throws {
        try checkParity("attention", inputs: ["q", "k", "v"]) { x, _ in Tensor.attention(x[0], x[1], x[2]) }
        let fx = try Fixture.load("attention_padded")
        let valid = try fx.int64s("in.key_valid").map { $0 != 0 }
        let keyShape = try fx.shape("in.key_valid")
        let mask = KeyPaddingMask(valid: valid, batch: keyShape[0], keys: keyShape[1])
        try checkParity("attention_padded", inputs: ["q", "k", "v"]) { x, _ in
            Tensor.attention(x[0], x[1], x[2], keyPadding: mask)
        }
    }

    @Test func targetNormalisations() throws {
        try checkParity("instance_norm_time", inputs: ["x"]) { x, _ in x[0].instanceNormOverTime() }
        try checkParity("l2_normalize", inputs: ["x"]) { x, _ in x[0].l2Normalized() }
    }

    /// timm's Block (pre-LN, fused qkv, exact GELU) composed from Duet's ops: every parameter
    /// gradient matches by timm name.
    @Test func vitBlock() throws {
        let fx = try Fixture.load("vit_block")
        let heads = Int(fx.metadata["heads"] ?? "") ?? 3
        let eps = fx.metadataFloat("eps") ?? 1e-6
        let names = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                     "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"]
        try checkParity("vit_block", inputs: ["x"], params: names) { x, p in
            let (b, n, d) = (x[0].shape[0], x[0].shape[1], x[0].shape[2])
            let h = x[0].layerNorm(weight: p[0], bias: p[1], eps: eps)
            let qkv = Tensor.linear(h, weight: p[2], bias: p[3]).reshaped([b, n, 3, heads, d / heads]).permuted([2, 0, 3, 1, 4])
            let parts = qkv.split([1, 1, 1], axis: 0).map { $0.reshaped([b, heads, n, d / heads]) }
            let attended = Tensor.attention(parts[0], parts[1], parts[2]).transposed(1, 2).reshaped([b, n, d])
            let x1 = x[0] + Tensor.linear(attended, weight: p[4], bias: p[5])
            let m = Tensor.linear(x1.layerNorm(weight: p[6], bias: p[7], eps: eps), weight: p[8], bias: p[9], activation: .gelu)
            return x1 + Tensor.linear(m, weight: p[10], bias: p[11])
        }
    }
}
