// A Duet tower as a frozen teacher: any `EncoderTower` (RAVEn's lip-reading tower, a filterbank
// tower, an MAE encoder) whose weights a run's checkpoint holds. It runs without a graph, in
// evaluation mode (batch norms on their running statistics), through the block the targets
// need, and hands out the tokens as that block leaves them, before the final norm (as MVD's
// teachers), or BRAVEn's targets: the mean of the blocks' outputs up to that block, each channel
// normalised over time. The blocks past the targets' are built, as the tower's store holds them,
// but never run.
import DuetNN
import DuetTensor

public struct TowerTeacher: FrozenTeacher, @unchecked Sendable {
    public let file: String
    public let tower: any EncoderTower
    /// Holds the tower's parameters, frozen.
    public let store: ParameterStore
    public let lastBlock: Int
    /// Average the blocks' outputs and instance-normalise them over time (BRAVEn's targets).
    public let blockAverage: Bool

    /// `tower` built in `store` and filled from `file`; targets after block `block` (nil: the last).
    public init(file: String, tower: any EncoderTower, store: ParameterStore, through block: Int? = nil,
                blockAverage: Bool = false) throws(TeacherError) {
        let depth = tower.encoder.blocks.count
        let last = block ?? depth - 1
        guard last >= 0 && last < depth else { throw .depth(file: file, block: last, depth: depth) }
        self.file = file
        self.tower = tower
        self.store = store
        lastBlock = last
        self.blockAverage = blockAverage
        store.setTrainable(false)
    }

    public var dim: Int { tower.dim }

    public func features(_ x: Tensor, through block: Int? = nil) -> Tensor {
        let last = block ?? lastBlock
        precondition(last >= 0 && last <= lastBlock, "teacher targets block \(lastBlock), asked for \(last)")
        return noGrad {
            var tokens = tower.tokens(x, context: .evaluation)
            var sum: Tensor?
            for index in 0...last {
                tokens = tower.encoder.blocks[index](tokens, context: .evaluation)
                if blockAverage { sum = sum.map { $0 + tokens } ?? tokens }
            }
            guard let sum else { return tokens }
            return (sum * (1 / Float(last + 1))).instanceNormOverTime()
        }
    }
}
