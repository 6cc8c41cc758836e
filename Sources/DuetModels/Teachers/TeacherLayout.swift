// What a teacher file holds, read from its tensor names and shapes alone: where the tower sits
// (a Duet tower prefix, the root, VideoMAE's `encoder.`), its width, depth, patch or tubelet,
// class token, MLP width and the form of its attention biases (timm's qkv.bias or VideoMAE's
// q_bias + v_bias).
import DuetTensor

public struct TeacherLayout: Sendable, Equatable {
    /// Prepended to every teacher name to find it in the file.
    public var prefix: String
    public var dim: Int
    public var depth: Int
    public var channels: Int
    /// The embedding's kernel: [p, p] for images and spectrograms, [t, p, p] for video.
    public var kernel: [Int]
    public var classToken: Bool
    /// False for VideoMAE's pretraining checkpoints, whose sine table is not a parameter.
    public var storedPositions: Bool
    public var mlpHidden: Int
    public var attentionBias: AttentionBias
    public var layerScale: Bool

    public enum AttentionBias: Sendable, Equatable {
        /// timm: `attn.qkv.bias`.
        case fused
        /// VideoMAE / BEiT: `attn.q_bias` and `attn.v_bias`, the key bias fixed at zero.
        case queryValue
        case none
    }

    /// The names tried, in order, when the caller's own tower prefix is not in the file.
    public static let fallbackPrefixes = ["", "encoder.", "model.", "module."]

    /// Reads the layout of the first tower found under `prefixes` (then the fallbacks).
    public static func inspect(_ file: SafeTensorsFile, prefixes: [String]) throws(TeacherError) -> TeacherLayout {
        var tried: [String] = []
        for prefix in prefixes + fallbackPrefixes where !tried.contains(prefix) {
            tried.append(prefix)
            if file.contains(prefix + "patch_embed.proj.weight") { return try read(file, prefix: prefix) }
        }
        throw .noTower(file: file.file, triedPrefixes: tried)
    }

    static func read(_ file: SafeTensorsFile, prefix: String) throws(TeacherError) -> TeacherLayout {
        let embedName = prefix + "patch_embed.proj.weight"
        let embed = try shape(file, embedName)
        guard embed.count == 4 || embed.count == 5 else {
            throw .patch(file: file.file, name: embedName, shape: embed, reason: "expected a Conv2d [D, C, p, p] or Conv3d [D, C, t, p, p] kernel")
        }
        let blockIndices = Set(file.names.compactMap { (name: String) -> Int? in
            guard name.hasPrefix(prefix + "blocks.") else { return nil }
            return Int(name.dropFirst(prefix.count + 7).prefix { $0 != "." })
        })
        let depth = (blockIndices.max() ?? -1) + 1
        guard depth > 0 else { throw .missing(file: file.file, names: [prefix + "blocks.0.attn.qkv.weight"]) }
        let fc1 = prefix + "blocks.0.mlp.fc1.weight"
        guard file.contains(fc1) else { throw .missing(file: file.file, names: [fc1]) }
        let block0 = prefix + "blocks.0.attn."
        let bias: AttentionBias = file.contains(block0 + "qkv.bias") ? .fused
            : file.contains(block0 + "q_bias") ? .queryValue : .none
        return TeacherLayout(
            prefix: prefix, dim: embed[0], depth: depth, channels: embed[1], kernel: Array(embed.dropFirst(2)),
            classToken: file.contains(prefix + "cls_token"), storedPositions: file.contains(prefix + "pos_embed"),
            mlpHidden: try shape(file, fc1)[0], attentionBias: bias, layerScale: file.contains(prefix + "blocks.0.ls1.gamma"))
    }

    private static func shape(_ file: SafeTensorsFile, _ name: String) throws(TeacherError) -> [Int] {
        do { return try file.entry(name).shape } catch { throw .unreadable(file: file.file, reason: error.description) }
    }

    /// Checks that the embedding cuts `grid`'s input into the same tokens a student over `grid` sees.
    public func check(against grid: TokenGrid, file: String) throws(TeacherError) {
        let name = prefix + "patch_embed.proj.weight"
        let shape = [dim, channels] + kernel
        let expected: [Int]
        switch grid {
        case let .image(c, _, _, p): expected = [dim, c, p, p]
        case let .video(c, _, _, _, t, p): expected = [dim, c, t, p, p]
        }
        guard shape == expected else {
            let what = kernel.count != expected.count - 2
                ? "a \(kernel.count == 2 ? "2-D patch" : "3-D tubelet") embedding where the student's input needs a \(expected.count == 4 ? "2-D patch" : "3-D tubelet") one"
                : channels != expected[1] ? "\(channels) input channels where the input has \(expected[1])"
                : "patch \(kernel.map(String.init).joined(separator: "×")) where the student's tokens are \(expected.dropFirst(2).map(String.init).joined(separator: "×"))"
            throw .patch(file: file, name: name, shape: shape, reason: what)
        }
    }
}
