// Learning-rate schedules (warm-up then cosine, constant, linear) and the EMA teacher's momentum
// schedules (RAVEn's cosine to 1, data2vec 2.0's linear ramp), all functions of the step.
import Foundation

/// A learning rate per optimizer step. Warm-up, when there is one, rises linearly from 0 at step 0
/// to `peak` at `warmupSteps` (MAE's `adjust_learning_rate`, per step rather than per fraction of
/// an epoch); the decay then runs from `warmupSteps` to `totalSteps` and holds its end value after.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Decay: Sendable, Equatable {
        /// Hold `peak`.
        case constant
        /// Half a cosine from `peak` down to `floor` (MAE's `min_lr`).
        case cosine(floor: Float)
        /// A straight line from `peak` down to `end` (Hugging Face's linear schedule with end 0).
        case linear(end: Float)
    }

    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var decay: Decay

    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int, decay: Decay) {
        (self.peak, self.warmupSteps, self.totalSteps, self.decay) = (peak, max(warmupSteps, 0), totalSteps, decay)
    }

    /// MAE and its descendants: linear warm-up, then cosine to `floor` at `totalSteps`.
    public static func warmupCosine(peak: Float, floor: Float = 0, warmupSteps: Int, totalSteps: Int) -> Self {
        Self(peak: peak, warmupSteps: warmupSteps, totalSteps: totalSteps, decay: .cosine(floor: floor))
    }

    /// `lr` throughout, after an optional linear warm-up.
    public static func constant(_ lr: Float, warmupSteps: Int = 0) -> Self {
        Self(peak: lr, warmupSteps: warmupSteps, totalSteps: warmupSteps, decay: .constant)
    }

    /// Linear warm-up (optional), then a straight line to `end` at `totalSteps`.
    public static func linear(peak: Float, end: Float = 0, warmupSteps: Int = 0, totalSteps: Int) -> Self {
        Self(peak: peak, warmupSteps: warmupSteps, totalSteps: totalSteps, decay: .linear(end: end))
    }

    public func value(at step: Int) -> Float {
        let peak = Double(peak)
        if step < warmupSteps { return Float(peak * Double(max(step, 0)) / Double(warmupSteps)) }
        let progress = rampProgress(step - warmupSteps, over: totalSteps - warmupSteps)
        switch decay {
        case .constant:
            return Float(peak)
        case .cosine(let floor):
            let floor = Double(floor)
            return Float(floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * progress)))
        case .linear(let end):
            return Float(peak + (Double(end) - peak) * progress)
        }
    }
}

/// The EMA teacher's momentum per step (the weight kept from the teacher), in Double: 1 − m is
/// 1e-5 at data2vec's end value, which Float would round by 0.1 %.
public struct MomentumSchedule: Sendable, Equatable {
    public enum Shape: Sendable, Equatable { case constant, cosine, linear }

    public var start: Double
    public var end: Double
    public var steps: Int
    public var shape: Shape

    /// RAVEn (BYOL's rule): m = 1 − (1 − start)·(cos(π·step/totalSteps) + 1)/2, from `start` to 1
    /// over the run.
    public static func cosine(from start: Double = 0.999, totalSteps: Int) -> Self {
        Self(start: start, end: 1, steps: totalSteps, shape: .cosine)
    }

    /// data2vec 2.0 (`ema_decay` → `ema_end_decay` over `ema_anneal_end_step`): linear from
    /// `start` to `end` over `steps`, then flat at `end`.
    public static func linear(from start: Double = 0.999, to end: Double = 0.99999, steps: Int) -> Self {
        Self(start: start, end: end, steps: steps, shape: .linear)
    }

    public static func constant(_ momentum: Double) -> Self {
        Self(start: momentum, end: momentum, steps: 0, shape: .constant)
    }

    public func value(at step: Int) -> Double {
        let progress = rampProgress(step, over: steps)
        switch shape {
        case .constant: return start
        case .cosine: return end - (end - start) * (cos(Double.pi * progress) + 1) / 2
        case .linear: return start + (end - start) * progress
        }
    }
}

/// How far `step` is along a ramp of `length` steps, clamped to [0, 1] (1 for an empty ramp).
private func rampProgress(_ step: Int, over length: Int) -> Double {
    guard length > 0 else { return 1 }
    return min(max(Double(step) / Double(length), 0), 1)
}
