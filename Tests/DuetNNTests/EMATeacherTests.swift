// The EMA teacher: exact averaging, buffers and frozen parameters copied, layouts checked.
import Testing
import DuetTensor
@testable import DuetNN

@Suite struct EMATeacherTests {
    /// The same builder code for student and teacher, with a buffer; `wide` changes one shape.
    private func model(seed: UInt64, wide: Bool = false, extra: Bool = false) -> ParameterStore {
        let store = ParameterStore(seed: seed)
        let b = store.builder
        _ = Linear(b.scope("encoder"), inFeatures: 5, outFeatures: wide ? 4 : 3)
        _ = LayerNorm(b.scope("norm"), dim: 3)
        _ = b.parameter("bn.running_mean", shape: [3], .normal(std: 1), role: .buffer)
        if extra { _ = Linear(b.scope("head"), inFeatures: 3, outFeatures: 2) }
        store.finalize()
        return store
    }

    @Test func updateIsTheExponentialAverage() throws {
        let student = model(seed: 1), teacherStore = model(seed: 2)
        let ema = try EMATeacher(teacher: teacherStore, student: student)
        #expect(teacherStore.values!.scalars == student.values!.scalars)
        #expect(teacherStore.parameters.allSatisfy { !$0.isTrainable })

        let teacher0 = (0..<student.scalarCount).map { Float($0 % 7) * 0.3 - 1 }
        teacherStore.values!.pointer.update(from: teacher0, count: teacher0.count)
        let studentValues = student.values!.scalars
        student.setTrainable(false, under: "norm")
        let m = 0.99
        ema.update(from: student, momentum: m)
        let copied = Set(["norm.weight", "norm.bias", "bn.running_mean"])
        for p in student.parameters {
            for i in p.offset..<(p.offset + p.count) {
                let t = Double(teacherStore.values!.pointer[i])
                if copied.contains(p.name) {
                    #expect(t == Double(studentValues[i]), "\(p.name) not copied")
                } else {
                    let expected = m * Double(teacher0[i]) + (1 - m) * Double(studentValues[i])
                    #expect(abs(t - expected) <= 1e-6 * max(abs(expected), 1), "\(p.name)[\(i - p.offset)]: \(t) vs \(expected)")
                }
            }
        }
        // Momentum 1 freezes the averaged values (RAVEn's schedule ends there).
        let frozen = teacherStore.values!.scalars
        ema.update(from: student, momentum: 1)
        #expect(teacherStore.values!.scalars == frozen)
    }

    @Test func layoutsMustMatchNameForName() {
        #expect(throws: OptimizerError.layoutMismatch(what: "EMA teacher", missing: [], unexpected: [],
                                                      mismatched: ["encoder.weight: shape [3, 5] vs [4, 5]", "encoder.bias: shape [3] vs [4]"])) {
            try EMATeacher(teacher: model(seed: 1, wide: true), student: model(seed: 1))
        }
        #expect(throws: OptimizerError.layoutMismatch(what: "EMA teacher", missing: ["head.weight", "head.bias"], unexpected: [],
                                                      mismatched: [])) {
            try EMATeacher(teacher: model(seed: 1), student: model(seed: 1, extra: true))
        }
        #expect(throws: OptimizerError.storeNotFinalized("EMA teacher")) {
            try EMATeacher(teacher: ParameterStore(), student: model(seed: 1))
        }
    }

    /// A student with a head after its encoder: the teacher mirrors the encoder only.
    @Test func teacherOfTheLeadingParameters() throws {
        let student = model(seed: 1, extra: true), teacherStore = model(seed: 2)
        #expect(throws: OptimizerError.self) { try EMATeacher(teacher: teacherStore, student: student) }
        let ema = try EMATeacher(teacher: teacherStore, student: student, leadingOnly: true)
        let n = teacherStore.scalarCount
        #expect(teacherStore.values!.scalars == Array(student.values!.scalars.prefix(n)))
        let teacher0 = teacherStore.values!.scalars.map { $0 * 0.5 + 0.25 }
        teacherStore.values!.pointer.update(from: teacher0, count: n)
        let studentValues = student.values!.scalars
        ema.update(from: student, momentum: 0.9)
        for p in teacherStore.parameters {
            for i in p.offset..<(p.offset + p.count) {
                let expected = p.role == .buffer ? Double(studentValues[i]) : 0.9 * Double(teacher0[i]) + 0.1 * Double(studentValues[i])
                #expect(abs(Double(teacherStore.values!.pointer[i]) - expected) <= 1e-6, "\(p.name)")
            }
        }
        // A teacher that is not the student's leading stretch is refused.
        let shuffled = ParameterStore(seed: 3)
        _ = LayerNorm(shuffled.builder.scope("norm"), dim: 3)
        shuffled.finalize()
        #expect(throws: OptimizerError.self) { try EMATeacher(teacher: shuffled, student: student, leadingOnly: true) }
    }
}
