// An objective's checkpointed stores (EMA teachers) are saved beside the model and restored on
// resume, so a resumed run's teacher matches the uninterrupted run's bit for bit.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

/// mae-audio with an EMA copy of its store that moves after every step (momentum 0.9), standing in
/// for the momentum teachers of RAVEn and data2vec 2.0.
final class TeacherFollowingObjective: PretrainingObjective {
    let student: any PretrainingObjective
    let ema: EMATeacher

    init(_ config: RunConfig) throws {
        student = try ObjectiveFactory.makeObjective(for: config)
        let teacherObjective = try ObjectiveFactory.makeObjective(for: config)
        ema = try EMATeacher(teacher: teacherObjective.store, student: student.store)
    }

    var name: String { "mae-audio" }
    var store: ParameterStore { student.store }
    var checkpointedStores: [String: ParameterStore] { ["teacher": ema.teacher] }

    func callAsFunction(_ batch: ObjectiveBatch, context: StepContext) throws(ObjectiveError) -> ObjectiveOutput {
        try student(batch, context: context)
    }

    func afterOptimizerStep(_ step: Int, totalSteps: Int) {
        ema.update(from: student.store, momentum: 0.9)
    }
}

@Suite struct TeacherCheckpointTests {
    func trainer(_ config: RunConfig, run: URL, resumingFrom checkpoint: Checkpoint? = nil) throws -> (Trainer, TeacherFollowingObjective) {
        let objective = try TeacherFollowingObjective(config)
        let trainer = try Trainer(config: config, objective: objective,
                                  source: SyntheticBatchSource(config: config, split: .train, clips: 64),
                                  run: RunFolder(url: run), resumingFrom: checkpoint)
        return (trainer, objective)
    }

    @Test func teacherIsSavedAndRestoredBitForBit() throws {
        let config = tinyAudioConfig(steps: 8)
        let straight = freshFolder("teacher-straight"), stopped = freshFolder("teacher-stopped")
        defer { for folder in [straight, stopped] { try? FileManager.default.removeItem(at: folder) } }
        let (a, objectiveA) = try trainer(config, run: straight)
        try a.train()
        try trainer(config, run: stopped).0.train(until: 6)
        let resumeFrom = RunFolder(url: stopped).checkpoints.checkpoints()[0].checkpoint
        #expect(FileManager.default.fileExists(atPath: resumeFrom.storeFile("teacher").path))
        let (b, objectiveB) = try trainer(config, run: stopped, resumingFrom: resumeFrom)
        #expect(b.step == 4)
        try b.train()

        let teacherA = objectiveA.ema.teacher.values!.scalars, teacherB = objectiveB.ema.teacher.values!.scalars
        #expect(teacherA == teacherB)
        #expect(teacherA != a.store.values!.scalars, "the teacher lags the student")
        #expect(a.store.values!.scalars == b.store.values!.scalars)
    }

    @Test func missingTeacherFileIsNamed() throws {
        let config = tinyAudioConfig(steps: 4)
        let run = freshFolder("teacher-missing")
        defer { try? FileManager.default.removeItem(at: run) }
        try trainer(config, run: run).0.train()
        let checkpoint = RunFolder(url: run).checkpoints.latest()!
        try FileManager.default.removeItem(at: checkpoint.storeFile("teacher"))
        #expect {
            _ = try trainer(config, run: run, resumingFrom: checkpoint)
        } throws: { error in
            "\(error)".contains("teacher.safetensors")
        }
    }
}
