// data2vec 2.0's convolutional decoder (fairseq Decoder1d / Decoder2d, and the 3-D analogue for
// tubelets): blocks of grouped convolution over the token grid + LayerNorm over channels (no
// affine) + GELU, each block added to its input when the widths agree, then a Linear to the
// target width. Names: blocks.N.0 (the convolution, as nn.Sequential numbers it), proj.
import DuetNN
import DuetTensor

public struct ConvolutionalDecoder: Sendable {
    public let blocks: [Convolution]
    public let proj: Linear
    /// The token grid the convolutions run over (1 to 3 axes), row-major as the tokens.
    public let grid: [Int]
    public let residual: Bool

    /// `kernel` must be odd (fairseq's SamePad trims the extra step an even kernel makes).
    public init(_ b: ParameterBuilder, inFeatures: Int, dim: Int, outFeatures: Int, grid: [Int], layers: Int, kernel: Int,
                groups: Int, residual: Bool = true) {
        precondition((1...3).contains(grid.count), "decoder grid \(grid) must have 1 to 3 axes")
        precondition(kernel % 2 == 1, "decoder kernel \(kernel) must be odd")
        blocks = (0..<layers).map { i in
            Convolution(b.scope("blocks").scope(i).scope("0"), inChannels: i == 0 ? inFeatures : dim, outChannels: dim,
                        kernel: grid.map { _ in kernel }, padding: grid.map { _ in kernel / 2 }, groups: groups)
        }
        proj = Linear(b.scope("proj"), inFeatures: dim, outFeatures: outFeatures)
        self.grid = grid
        self.residual = residual
    }

    /// `tokens` [B, N, C] with N = the grid's product → [B, N, outFeatures].
    public func callAsFunction(_ tokens: Tensor) -> Tensor {
        let (batch, n, channels) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        precondition(n == grid.reduce(1, *), "decoder over grid \(grid) given \(n) tokens")
        var x = tokens.transposed(1, 2).reshaped([batch, channels] + grid)
        for conv in blocks {
            let inputs = x
            let c = conv.outChannels
            // LayerNorm over channels: channels last, normalise, back.
            var y = conv(x).reshaped([batch, c, n]).transposed(1, 2).layerNorm(eps: 1e-5)
            y = y.gelu().transposed(1, 2).reshaped([batch, c] + grid)
            x = residual && inputs.shape == y.shape ? y + inputs : y
        }
        let c = x.shape[1]
        return proj(x.reshaped([batch, c, n]).transposed(1, 2))
    }
}
