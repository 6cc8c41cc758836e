// The benchmark behind `duet bench --optimizer`: AdamW, SGD, clipping and the EMA update over a
// ~5M-parameter ViT store, each beside a plain pass moving the same bytes over the same arenas.
import DuetTensor
import Dispatch

/// One timed update and its memory-pass twin.
public struct OptimizerTiming: Sendable, Codable {
    public let name: String
    /// Median milliseconds per update.
    public let milliseconds: Double
    /// Median milliseconds of a trivial loop reading and writing the same arenas.
    public let memoryPassMilliseconds: Double
    /// Bytes read plus written per update.
    public let bytes: Double

    /// Time relative to the memory pass (1.0 = as fast as memory allows).
    public var overMemoryPass: Double { milliseconds / memoryPassMilliseconds }
    public var gigabytesPerSecond: Double { bytes / milliseconds / 1e6 }
}

public enum OptimizerBenchmarks {
    /// Times each update `repeats` times after 3 warm-up runs, alternating with its memory pass.
    public static func run(repeats: Int = 10) -> (parameters: Int, timings: [OptimizerTiming]) {
        let student = vitStore(seed: 1), teacherStore = vitStore(seed: 2)
        let n = student.trainableScalarCount
        let grads = student.gradients!
        let fill = Tensor.randomNormal([grads.count], std: 1e-2, stream: RandomStream(seed: 3))
        grads.pointer.update(from: fill.pointer, count: grads.count)
        let spans = ArenaSpans(student.parameters) { $0.isTrainable ? true : nil }
        let p = student.values!.pointer, g = grads.pointer
        let bytes = { (streams: Int) in Double(streams * n * MemoryLayout<Float>.size) }

        // The optimizers' learning rate is tiny so that repeated steps leave the values sane.
        let adamw = try! AdamW(student, weightDecay: 0.05)
        let m = adamw.expAvg.pointer, v = adamw.expAvgSq.pointer
        let adamwTiming = timed("AdamW step", bytes: bytes(7), repeats: repeats, update: { adamw.step(learningRate: 1e-6) }) {
            spans.parallelForEach { _, r in for i in r { p[i] += g[i]; m[i] += g[i]; v[i] += g[i] * g[i] } }
        }

        let sgd = try! SGD(student, momentum: 0.9, weightDecay: 0.05)
        let b = sgd.momentumBuffer!.pointer
        let sgdTiming = timed("SGD momentum step", bytes: bytes(5), repeats: repeats, update: { sgd.step(learningRate: 1e-6) }) {
            spans.parallelForEach { _, r in for i in r { p[i] += g[i]; b[i] += g[i] } }
        }

        // Clipping reads the gradients for the norm, then scales them (max norm below the norm).
        let clipTiming = timed("clip grad norm (scaling)", bytes: bytes(3), repeats: repeats,
                               update: { student.clipGradientNorm(maxNorm: student.gradientNorm() * 0.999_999) }) {
            spans.parallelForEach { _, r in for i in r { g[i] = g[i] * 0.999_999 + p[i] } }
        }

        let ema = try! EMATeacher(teacher: teacherStore, student: student)
        let t = teacherStore.values!.pointer
        let emaTiming = timed("EMA update", bytes: bytes(3), repeats: repeats, update: { ema.update(from: student, momentum: 0.999) }) {
            spans.parallelForEach { _, r in for i in r { t[i] = t[i] * 0.999 + p[i] } }
        }
        return (n, [adamwTiming, sgdTiming, clipTiming, emaTiming])
    }

    /// timm's ViT-Tiny at 224² with 11 blocks instead of 12: 5.1M parameters in timm's names and groups.
    static func vitStore(seed: UInt64) -> ParameterStore {
        let store = ParameterStore(seed: seed)
        _ = VisionTransformer(store.builder, config: VisionTransformerConfig(imageSize: (224, 224), patch: 16, dim: 192, depth: 11, heads: 3))
        store.finalize()
        return store
    }

    /// Medians of `update` and `memoryPass`, run in turn so both see the same machine load.
    static func timed(_ name: String, bytes: Double, repeats: Int, update: () -> Void, memoryPass: () -> Void) -> OptimizerTiming {
        for _ in 0..<3 { update(); memoryPass() }
        var times: ([Double], [Double]) = ([], [])
        for _ in 0..<repeats {
            times.0.append(milliseconds(update))
            times.1.append(milliseconds(memoryPass))
        }
        return OptimizerTiming(name: name, milliseconds: median(times.0), memoryPassMilliseconds: median(times.1), bytes: bytes)
    }

    private static func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    private static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
