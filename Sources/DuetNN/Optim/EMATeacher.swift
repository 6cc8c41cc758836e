// The momentum (EMA) teacher of RAVEn, data2vec 2.0 and friends: a second store with the
// student's names and layout (or those of its leading parameters), moved toward the student by
// one fused loop over the two arenas.
import DuetTensor

public final class EMATeacher: @unchecked Sendable {
    /// The teacher's parameters (frozen: a teacher is never trained by backward).
    public let teacher: ParameterStore
    private var spans: TrainableSpans<Averaging>
    private weak var verifiedStudent: ParameterStore?
    /// Whether the teacher mirrors only the student's first parameters.
    private let leadingOnly: Bool

    /// The teacher weight a parameter gets: averaged, or copied outright (buffers such as
    /// BatchNorm's running statistics, and parameters the student does not train, as fairseq's
    /// EMAModule does).
    private enum Averaging: Equatable { case average, copy }

    /// `teacher` is built by the caller with the same builder code as `student` and finalised; its
    /// names, order and shapes must match the student's. `copyingValues` starts it as a copy of
    /// the student (RAVEn, data2vec); pass false to keep the teacher's own values (a loaded checkpoint).
    /// With `leadingOnly`, the teacher mirrors the student's first parameters only: a student
    /// that builds its encoders first and its predictors or decoders after them (which have no
    /// teacher) shares its arena's leading stretch with the teacher, name for name.
    public init(teacher: ParameterStore, student: ParameterStore, copyingValues: Bool = true,
                leadingOnly: Bool = false) throws(OptimizerError) {
        self.leadingOnly = leadingOnly
        try Self.checkLayout(teacher: teacher, student: student, leadingOnly: leadingOnly)
        self.teacher = teacher
        teacher.setTrainable(false)
        spans = Self.spans(student, count: teacher.scalarCount)
        verifiedStudent = student
        if copyingValues {
            teacher.values!.pointer.update(from: student.values!.pointer, count: teacher.values!.count)
        }
    }

    /// teacher ← m·teacher + (1 − m)·student for the student's trainable parameters, computed as
    /// teacher + (1 − m)(student − teacher) with 1 − m rounded once from Double; every other
    /// value (buffers, frozen parameters) is copied. `student` is the store given at init (or
    /// one with the same layout).
    public func update(from student: ParameterStore, momentum: Double) {
        profiled(.optimizer) {
            if student !== verifiedStudent {
                do {
                    try Self.checkLayout(teacher: teacher, student: student, leadingOnly: leadingOnly)
                } catch {
                    preconditionFailure("EMA update from a store unlike the teacher: \(error)")
                }
                spans = Self.spans(student, count: teacher.scalarCount)
                verifiedStudent = student
            }
            let t = teacher.values!.pointer, s = student.values!.pointer
            let weight = Float(1 - momentum)
            spans.current().parallelForEach { rule, range in
                switch rule {
                case .average:
                    for i in range { t[i] += weight * (s[i] - t[i]) }
                case .copy:
                    (t + range.lowerBound).update(from: s + range.lowerBound, count: range.count)
                }
            }
        }
    }

    /// The student's parameters the teacher follows: those in its arena's first `count` scalars.
    private static func spans(_ student: ParameterStore, count: Int) -> TrainableSpans<Averaging> {
        TrainableSpans(student) { $0.offset < count ? ($0.isTrainable ? .average : .copy) : nil }
    }

    private static func checkLayout(teacher: ParameterStore, student: ParameterStore, leadingOnly: Bool) throws(OptimizerError) {
        guard teacher.isFinalized else { throw .storeNotFinalized("EMA teacher") }
        guard student.isFinalized else { throw .storeNotFinalized("EMA student") }
        let mirrored = leadingOnly ? Array(student.parameters.prefix(teacher.parameters.count)) : student.parameters
        try OptimizerError.checkLayout("EMA teacher", expected: mirrored.map { ($0.name, $0.shape) },
                                       actual: teacher.parameters.map { ($0.name, $0.shape) })
    }
}
