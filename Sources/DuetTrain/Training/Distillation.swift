// What `duet distill` does: check that the recipe is a distillation one, then train it with the
// same machinery as `duet pretrain` (run folder, checkpoints, resume, evaluation); and, with
// --timing, measure a step's teacher share and the teacher's cost against its target depth.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

public enum Distillation {
    /// The objectives `duet distill` trains (mae-image pretrains a teacher: `duet pretrain`).
    public static let objectives = ["mvd", "distill-audio", "dmae", "mimco"]

    @discardableResult
    public static func run(_ options: PretrainOptions, console: ConsoleProgress.Style? = nil) throws(TrainError) -> TrainingSummary {
        if options.configFile != nil {
            let config = try Pretraining.resolveConfig(options, checkpoint: nil)
            try requireDistillation(config)
        }
        return try Pretraining.run(options, console: console)
    }

    static func requireDistillation(_ config: RunConfig) throws(TrainError) {
        guard objectives.contains(config.objective.name) else {
            throw .usage("duet distill trains \(objectives.joined(separator: ", ")); objective.name is \(config.objective.name): "
                + "run it with duet pretrain")
        }
    }

    /// Step time against teacher time, and the teacher's cost per target depth.
    public struct Timing: Sendable {
        /// Median milliseconds of a whole step (forward, backward, AdamW) on one batch.
        public var stepMilliseconds: Double
        /// Median milliseconds of each teacher's passes within that step, by teacher name.
        public var teacherMilliseconds: [(name: String, ms: Double)]
        /// Per teacher (by its config key): median milliseconds of its forward through block k, k = 0...
        public var depthMilliseconds: [(key: String, ms: [Double])]
    }

    /// Times the objective of `config` on one synthetic batch of its shapes: `repeats` steps after
    /// one warm-up, and every teacher alone through each of its blocks.
    public static func timing(_ options: PretrainOptions, repeats: Int = 5) throws(TrainError) -> Timing {
        let config = try Pretraining.resolveConfig(options, checkpoint: nil)
        try requireDistillation(config)
        let built: any PretrainingObjective
        do { built = try ObjectiveFactory.makeObjective(for: config) } catch { throw .config(error) }
        guard let objective = built as? any DistillationObjective else { throw .usage("\(built.name) has no teachers to time") }
        let batch: ObjectiveBatch
        do { batch = try SyntheticBatchSource(config: config, split: .train).next() } catch { throw .data("\(error)") }
        let optimizer = try Trainer.makeOptimizer(config.optim, store: objective.store)
        let context = StepContext(step: 0, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: UInt64(config.seed))))
        let passes: [(name: String, run: () -> Tensor)]
        do { passes = try objective.teacherPasses(batch, context: context) } catch { throw .objective(error) }
        var failure: ObjectiveError?
        let step: () -> Void = {
            objective.store.zeroGradients()
            do { try objective(batch, context: context).loss.backward() } catch { failure = error as? ObjectiveError }
            optimizer.step(learningRate: Float(config.optim.lr))
        }
        // Alternated, so that the shared machine's drift weighs on the step and the teachers alike.
        let times = alternatingMedianMilliseconds(warmup: 1, repeats: repeats, [step] + passes.map { pass in { _ = pass.run() } })
        if let failure { throw .objective(failure) }
        let teachers = zip(passes, times.dropFirst()).map { ($0.name, $1) }
        return Timing(stepMilliseconds: times[0], teacherMilliseconds: teachers,
                      depthMilliseconds: try depthTimings(config, batch: batch, repeats: repeats))
    }

    /// Each configured teacher loaded through its last block, timed through block 0, 1, ….
    static func depthTimings(_ config: RunConfig, batch: ObjectiveBatch, repeats: Int) throws(TrainError) -> [(key: String, ms: [Double])] {
        let keys = config.objective.distill
        var rows: [(String, [Double])] = []
        let video: MaskedAutoencoder.Modality = .video, audio: MaskedAutoencoder.Modality = .audio
        var teachers: [(String, String, TokenGrid, MaskedAutoencoder.Modality, Tensor?)] = []
        if let path = keys.imageTeacher, let x = batch.video {
            teachers.append(("image_teacher", path, ObjectiveFactory.frameGrid(config), video,
                             VideoFrames.sampled(x, stride: ObjectiveFactory.imageTeacherFrameStride(config))))
        }
        if let path = keys.videoTeacher { teachers.append(("video_teacher", path, ObjectiveFactory.tokenGrid(for: config, modality: video), video, batch.video)) }
        if let path = keys.audioTeacher { teachers.append(("audio_teacher", path, ObjectiveFactory.tokenGrid(for: config, modality: audio), audio, batch.audio)) }
        if let path = config.objective.teacher {
            let modality: MaskedAutoencoder.Modality = keys.modality == .audio ? .audio : .video
            teachers.append(("teacher", path, ObjectiveFactory.tokenGrid(for: config, modality: modality), modality,
                             modality == .audio ? batch.audio : batch.video))
        }
        for (key, path, grid, tower, input) in teachers {
            guard let input else { continue }
            let teacher: any FrozenTeacher
            do {
                teacher = key == "video_teacher" ? try TeacherLoading.loadVideoTeacher(path, key: key, block: nil, config: config).0
                    : try TeacherLoading.load(path, key: key, grid: grid, tower: tower, block: nil, config: config)
            } catch {
                throw .config(error)
            }
            rows.append((key, (0...teacher.lastBlock).map { block in
                medianMilliseconds(warmup: 1, repeats: repeats) { _ = teacher.features(input, through: block) }
            }))
        }
        return rows
    }
}
