// Learning-rate and EMA momentum schedules at their known points.
import Foundation
import Testing
@testable import DuetNN

@Suite struct ScheduleTests {
    private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-7) -> Bool { abs(a - b) <= tolerance * max(abs(b), 1e-12) }

    @Test func warmupThenCosineAsMAE() {
        let s = LearningRateSchedule.warmupCosine(peak: 1e-3, floor: 1e-5, warmupSteps: 10, totalSteps: 110)
        #expect(s.value(at: 0) == 0)
        #expect(close(Double(s.value(at: 5)), 5e-4))
        #expect(s.value(at: 10) == 1e-3)
        #expect(close(Double(s.value(at: 60)), (1e-3 + 1e-5) / 2, 1e-6))
        #expect(close(Double(s.value(at: 110)), 1e-5))
        #expect(close(Double(s.value(at: 500)), 1e-5))
        // MAE's formula, per step: min + (peak − min)·½(1 + cos(π·(t − w)/(T − w))).
        let t = 37.0, expected = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + cos(Double.pi * (t - 10) / 100))
        #expect(close(Double(s.value(at: 37)), expected, 1e-6))
    }

    @Test func constantAndLinear() {
        let c = LearningRateSchedule.constant(2e-4, warmupSteps: 4)
        #expect(c.value(at: 0) == 0 && c.value(at: 2) == 1e-4 && c.value(at: 4) == 2e-4 && c.value(at: 10_000) == 2e-4)
        #expect(LearningRateSchedule.constant(3e-4).value(at: 0) == 3e-4)
        let l = LearningRateSchedule.linear(peak: 1, end: 0.2, warmupSteps: 10, totalSteps: 110)
        #expect(l.value(at: 5) == 0.5 && l.value(at: 10) == 1)
        #expect(close(Double(l.value(at: 35)), 0.8) && close(Double(l.value(at: 110)), 0.2) && close(Double(l.value(at: 200)), 0.2))
    }

    @Test func ravenCosineMomentumToOne() {
        let m = MomentumSchedule.cosine(from: 0.999, totalSteps: 1000)
        #expect(m.value(at: 0) == 0.999)
        #expect(close(m.value(at: 500), 0.9995, 1e-12))
        #expect(close(m.value(at: 250), 1 - 0.001 * (cos(Double.pi / 4) + 1) / 2, 1e-12))
        #expect(m.value(at: 1000) == 1 && m.value(at: 2000) == 1)
    }

    @Test func data2vecLinearMomentumThenFlat() {
        let m = MomentumSchedule.linear(from: 0.999, to: 0.99999, steps: 1000)
        #expect(m.value(at: 0) == 0.999)
        #expect(close(m.value(at: 500), (0.999 + 0.99999) / 2, 1e-12))
        #expect(m.value(at: 1000) == 0.99999 && m.value(at: 50_000) == 0.99999)
        #expect(MomentumSchedule.constant(0.996).value(at: 123) == 0.996)
    }
}
