// Where a raven step's time goes: the teachers' forward (no graph), the students' forward and
// backward, the predictors' forward and backward, the optimizer and the EMA update, medians over
// steps on in-memory batches of the config's shapes.
import DuetNN
import DuetObjectives
import DuetTensor
import Dispatch

public enum RAVEnProfile {
    /// Milliseconds per part (medians over `steps` steps after one warm-up), in step order.
    /// The backward is split by running it twice on the same batch: once whole, once with the
    /// students' tokens detached (the predictors' part alone); the students' part is the rest.
    public static func run(config: RunConfig, steps: Int) throws -> [(part: String, milliseconds: Double)] {
        let objective = try ObjectiveFactory.makeObjective(for: config)
        guard let raven = objective as? RAVEn else { throw TrainError.usage("the profile times raven, the config names \(objective.name)") }
        let optimizer = try Trainer.makeOptimizer(config.optim, store: raven.store)
        let source = SyntheticBatchSource(config: config, split: .train, clips: max(64, config.train.batchSize))
        var samples: [String: [Double]] = [:]
        for step in 0...steps {
            let batch = try source.next()
            let context = StepContext(step: step, forward: ForwardContext(isTraining: true, stream: RandomStream(seed: 1).derived(UInt64(step))))
            raven.store.zeroGradients()
            var part: [String: Double] = [:]
            let parts = try raven.forward(batch, context: context)
            for key in ["teachers", "students", "predictors", "losses"] { part["\(key) forward"] = parts.metrics["time_\(key)_ms"] }
            let whole = milliseconds { parts.loss.backward() }
            raven.store.zeroGradients()
            let detached = try raven.forward(batch, context: context, detachingStudents: true)
            let predictorsBackward = milliseconds { detached.loss.backward() }
            part["predictors backward"] = predictorsBackward
            part["students backward"] = whole - predictorsBackward
            part["optimizer"] = milliseconds { optimizer.step(learningRate: 1e-4) }
            part["EMA update"] = milliseconds { raven.afterOptimizerStep(step, totalSteps: config.train.steps) }
            guard step > 0 else { continue }
            for (key, value) in part { samples[key, default: []].append(value) }
        }
        let order = ["teachers forward", "students forward", "students backward", "predictors forward", "predictors backward",
                     "losses forward", "optimizer", "EMA update"]
        return order.map { key in
            let values = (samples[key] ?? []).sorted()
            return (key, values.isEmpty ? .nan : values[values.count / 2])
        }
    }

    private static func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }
}
