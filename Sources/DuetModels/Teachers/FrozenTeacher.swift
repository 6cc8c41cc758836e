// What a masked-feature-distillation objective asks of a frozen teacher: its width, how deep it
// was built, and its tokens as a chosen block leaves them, computed without a graph. A ViT read
// from a file (`TeacherEncoder`) and a Duet run's own tower (`TowerTeacher`, for instance RAVEn's
// lip-reading tower) both serve, so `mvd` can learn from either.
import DuetNN
import DuetTensor

public protocol FrozenTeacher: Sendable {
    /// The file the weights came from, for messages.
    var file: String { get }
    /// The teacher's own parameters, frozen, apart from the student's store.
    var store: ParameterStore { get }
    /// Token width.
    var dim: Int { get }
    /// The deepest block built (0-based): the targets' block.
    var lastBlock: Int { get }
    /// The tokens as block `block` (default: `lastBlock`) leaves them, before any final norm,
    /// [B, N, D], without a graph.
    func features(_ x: Tensor, through block: Int?) -> Tensor
}

extension TeacherEncoder: FrozenTeacher {
    public func features(_ x: Tensor, through block: Int?) -> Tensor {
        features(x, through: block, keep: nil, classToken: false)
    }
}
