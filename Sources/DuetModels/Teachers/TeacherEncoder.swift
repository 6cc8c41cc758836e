// A frozen ViT teacher loaded from a file: a Duet checkpoint's tower, a timm image ViT or a
// VideoMAE-layout video ViT. It runs without a graph and only through the block the targets
// need (DMAE's partial execution: the blocks after it are not even built), and hands out the
// tokens as that block leaves them, before any final norm (as MVD's teachers do).
import DuetNN
import DuetTensor
import Foundation

public struct TeacherEncoder: @unchecked Sendable {
    /// The file the weights came from, for messages.
    public let file: String
    public let layout: TeacherLayout
    public let grid: TokenGrid
    public let heads: Int
    /// Holds only the parts that run: the embedding, positions and blocks 0...lastBlock.
    public let store: ParameterStore
    let tokenEmbedding: GridEmbedding
    let classToken: LearnedToken?
    let positions: Parameter
    public let blocks: [Block]

    public var dim: Int { layout.dim }
    /// The deepest block built (0-based): the targets' block.
    public var lastBlock: Int { blocks.count - 1 }
    public var hasClassToken: Bool { classToken != nil }

    /// Loads the tower of `url` (a safetensors file) for inputs cut by `grid`, built through
    /// `block` (0-based; nil: the last). `prefixes` are tried first (a Duet tower's
    /// `video_encoder.`); `heads` nil takes the file's `heads` metadata, else ViT's 64 per head.
    public init(contentsOf url: URL, grid: TokenGrid, through block: Int? = nil, heads: Int? = nil,
                prefixes: [String] = []) throws(TeacherError) {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile.read(contentsOf: url) } catch {
            throw .unreadable(file: url.path, reason: error.description)
        }
        try self.init(file: file, grid: grid, through: block, heads: heads, prefixes: prefixes)
    }

    public init(file: SafeTensorsFile, grid: TokenGrid, through block: Int? = nil, heads: Int? = nil,
                prefixes: [String] = []) throws(TeacherError) {
        let layout = try TeacherLayout.inspect(file, prefixes: prefixes)
        try layout.check(against: grid, file: file.file)
        let last = block ?? layout.depth - 1
        guard last >= 0 && last < layout.depth else { throw .depth(file: file.file, block: last, depth: layout.depth) }
        let heads = heads ?? file.metadata["heads"].flatMap { Int($0) } ?? max(1, layout.dim / 64)
        guard heads > 0 && layout.dim % heads == 0 else { throw .heads(file: file.file, dim: layout.dim, heads: heads) }
        self.file = file.file
        self.layout = layout
        self.grid = grid
        self.heads = heads
        store = ParameterStore(seed: 0)
        let b = store.builder
        tokenEmbedding = GridEmbedding(b.scope("patch_embed"), grid: grid, dim: layout.dim)
        classToken = layout.classToken ? LearnedToken(b, dim: layout.dim) : nil
        positions = b.parameter("pos_embed", Tensor.zeros([1, grid.tokens + (layout.classToken ? 1 : 0), layout.dim]),
                                role: .positionEmbedding, trainable: false)
        let options = BlockOptions(mlpRatio: Float(layout.mlpHidden) / Float(layout.dim), qkvBias: layout.attentionBias != .none,
                                   layerScale: layout.layerScale ? 1 : nil)
        blocks = (0...last).map { Block(b.scope("blocks").scope($0), dim: layout.dim, heads: heads, options: options) }
        store.finalize()
        store.setTrainable(false)
        try fill(from: file)
    }

    /// Copies every parameter from the file, checking its shape; VideoMAE's q_bias / v_bias become
    /// qkv.bias with a zero key bias, and a missing position table is VideoMAE's sine table.
    private func fill(from file: SafeTensorsFile) throws(TeacherError) {
        var missing: [String] = []
        for p in store.parameters {
            let name = layout.prefix + p.name
            let values: Tensor
            do {
                if file.contains(name) {
                    values = try file.tensor(name)
                } else if p.name.hasSuffix("attn.qkv.bias"), layout.attentionBias == .queryValue {
                    let stem = String(name.dropLast("qkv.bias".count))
                    guard file.contains(stem + "q_bias"), file.contains(stem + "v_bias") else {
                        missing.append(stem + "q_bias")
                        continue
                    }
                    let q = try file.tensor(stem + "q_bias"), v = try file.tensor(stem + "v_bias")
                    values = Tensor.concat([q, Tensor.zeros(q.shape), v], axis: 0)
                } else if p.name == "pos_embed", !layout.storedPositions, !layout.classToken {
                    values = Tensor(shape: p.shape, scalars: Self.videoMAESineTable(tokens: grid.tokens, dim: layout.dim))
                } else {
                    missing.append(name)
                    continue
                }
            } catch {
                throw .unreadable(file: file.file, reason: error.description)
            }
            guard values.shape == p.shape else { throw .shape(file: file.file, name: name, expected: p.shape, got: values.shape) }
            p.value.pointer.update(from: values.pointer, count: p.count)
        }
        if !missing.isEmpty { throw .missing(file: file.file, names: missing) }
    }

    /// The patch tokens (with the class token first when `classToken` and the teacher has one)
    /// as block `block` (default: the last built) leaves them, [B, (1 +) K, D], computed without
    /// a graph. `keep` runs only those tokens per sample (DMAE: the student's visible ones).
    public func features(_ x: Tensor, through block: Int? = nil, keep: TokenIndices? = nil, classToken keepClass: Bool = false) -> Tensor {
        let last = block ?? lastBlock
        precondition(last >= 0 && last <= lastBlock, "teacher built through block \(lastBlock), asked for \(last)")
        return noGrad {
            let table = positions.value
            let offset = hasClassToken ? 1 : 0
            var tokens = tokenEmbedding(x) + table.narrowed(axis: 1, start: offset, length: grid.tokens)
            if let keep { tokens = tokens.gatheringTokens(keep) }
            if let classToken {
                // timm adds pos_embed[0] to the class token (MAE's row is zero, so this is MAE too).
                let first = (classToken.token.value + table.narrowed(axis: 1, start: 0, length: 1))
                    .expanded(to: [tokens.shape[0], 1, dim])
                tokens = Tensor.concat([first, tokens], axis: 1)
            }
            for index in 0...last { tokens = blocks[index](tokens, context: .evaluation) }
            guard hasClassToken && !keepClass else { return tokens }
            return tokens.narrowed(axis: 1, start: 1, length: tokens.shape[1] - 1)
        }
    }

    /// VideoMAE's `get_sinusoid_encoding_table`: sine on even channels and cosine on odd ones of
    /// position / 10000^(2⌊j/2⌋/D), over the flattened token index.
    public static func videoMAESineTable(tokens: Int, dim: Int) -> [Float] {
        var table = [Float](repeating: 0, count: tokens * dim)
        for position in 0..<tokens {
            for j in 0..<dim {
                let angle = Double(position) / pow(10000, Double(2 * (j / 2)) / Double(dim))
                table[position * dim + j] = Float(j % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        return table
    }
}
