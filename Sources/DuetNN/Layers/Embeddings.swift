// Token embeddings: 2-D patches (`patch_embed.proj`, a Conv2d with kernel = stride = patch),
// 3-D tubelets (a Conv3d, VideoMAE), and the class token (`cls_token`).
import DuetTensor

/// Images or spectrograms [B, C, H, W] to patch tokens [B, (H/p)·(W/p), D], row-major over the grid.
public struct PatchEmbedding: Sendable {
    public let weight: Parameter
    public let bias: Parameter
    public let patch: (Int, Int)

    /// MAE initialises the projection like a Linear (Xavier uniform over the flattened kernel).
    public init(_ b: ParameterBuilder, inChannels: Int, dim: Int, patch: (Int, Int), initializer: Initializer = .xavierUniform) {
        let proj = b.scope("proj")
        weight = proj.parameter("weight", shape: [dim, inChannels, patch.0, patch.1], initializer, role: .weight)
        bias = proj.parameter("bias", shape: [dim], .zeros, role: .bias)
        self.patch = patch
    }

    /// The token grid (rows, columns) for an input of height × width.
    public func grid(height: Int, width: Int) -> (Int, Int) { (height / patch.0, width / patch.1) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = conv2d(x, weight: weight.value, bias: bias.value, stride: patch)
        return y.reshaped([y.shape[0], y.shape[1], -1]).transposed(1, 2)
    }
}

/// Videos [B, C, T, H, W] to tubelet tokens [B, (T/t)·(H/p)·(W/p), D], row-major over (t, h, w).
public struct TubeletEmbedding: Sendable {
    public let weight: Parameter
    public let bias: Parameter
    public let tubelet: (Int, Int, Int)

    public init(_ b: ParameterBuilder, inChannels: Int, dim: Int, tubelet: (Int, Int, Int), initializer: Initializer = .xavierUniform) {
        let proj = b.scope("proj")
        weight = proj.parameter("weight", shape: [dim, inChannels, tubelet.0, tubelet.1, tubelet.2], initializer, role: .weight)
        bias = proj.parameter("bias", shape: [dim], .zeros, role: .bias)
        self.tubelet = tubelet
    }

    public func grid(frames: Int, height: Int, width: Int) -> (Int, Int, Int) {
        (frames / tubelet.0, height / tubelet.1, width / tubelet.2)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = conv3d(x, weight: weight.value, bias: bias.value, stride: tubelet)
        return y.reshaped([y.shape[0], y.shape[1], -1]).transposed(1, 2)
    }
}

/// A learned token prepended to the sequence (`cls_token` [1, 1, D]); also serves mask tokens.
public struct LearnedToken: Sendable {
    public let token: Parameter

    public init(_ b: ParameterBuilder, name: String = "cls_token", dim: Int, initializer: Initializer = .normal(std: 0.02)) {
        token = b.parameter(name, shape: [1, 1, dim], initializer, role: .token)
    }

    /// [B, N, D] → [B, 1 + N, D].
    public func prepend(to x: Tensor) -> Tensor {
        Tensor.concat([token.value.expanded(to: [x.shape[0], 1, x.shape[2]]), x], axis: 1)
    }

    /// The token repeated to [B, N, D].
    public func repeated(batch: Int, tokens: Int) -> Tensor {
        token.value.expanded(to: [batch, tokens, token.shape[2]])
    }
}

/// A fixed (non-trainable) position table stored like timm's `pos_embed` [1, N, D].
public struct FixedPositionEmbedding: Sendable {
    public let table: Parameter

    public init(_ b: ParameterBuilder, name: String = "pos_embed", tokens: Int, dim: Int, values: [Float]) {
        precondition(values.count == tokens * dim, "position table of \(values.count) values for \(tokens)×\(dim)")
        table = b.parameter(name, Tensor(shape: [1, tokens, dim], scalars: values), role: .positionEmbedding, trainable: false)
    }

    /// x [B, N, D] + the table (broadcast over the batch).
    public func callAsFunction(_ x: Tensor) -> Tensor { x + table.value }
}
