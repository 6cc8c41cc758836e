// Batch norm: statistics and running-statistic updates against their formulas, and
// finite-difference gradients in training mode (through the batch statistics) and eval mode.
import Testing
import DuetTestSupport
@testable import DuetTensor

@Suite struct BatchNormTests {
    /// Per-channel mean and biased variance of [B, C, S] values, in Double.
    func channelStatistics(_ x: Tensor) -> (mean: [Double], variance: [Double]) {
        let batch = x.shape[0], channels = x.shape[1], plane = x.count / (batch * channels)
        var mean = [Double](repeating: 0, count: channels), variance = mean
        for c in 0..<channels {
            var values: [Double] = []
            for b in 0..<batch { for i in 0..<plane { values.append(Double(x.pointer[(b * channels + c) * plane + i])) } }
            mean[c] = values.reduce(0, +) / Double(values.count)
            variance[c] = values.map { ($0 - mean[c]) * ($0 - mean[c]) }.reduce(0, +) / Double(values.count)
        }
        return (mean, variance)
    }

    @Test func trainingNormalisesAndUpdatesRunningStatistics() {
        let x = randomInput([3, 4, 5, 2], seed: 1, scale: 3, requiresGrad: false).affine(scale: 1, shift: 2)
        let runningMean = Tensor.full([4], 0.5), runningVar = Tensor.full([4], 2)
        let y = batchNorm(x, weight: nil, bias: nil, runningMean: runningMean, runningVar: runningVar, training: true)
        let (yMean, yVar) = channelStatistics(y)
        let (xMean, xVar) = channelStatistics(x)
        let n = Double(3 * 5 * 2)
        for c in 0..<4 {
            #expect(abs(yMean[c]) < 1e-5)
            #expect(abs(yVar[c] - xVar[c] / (xVar[c] + 1e-5)) < 1e-5)
            #expect(abs(Double(runningMean.pointer[c]) - (0.9 * 0.5 + 0.1 * xMean[c])) < 1e-5)
            #expect(abs(Double(runningVar.pointer[c]) - (0.9 * 2 + 0.1 * xVar[c] * n / (n - 1))) < 1e-4)
        }
    }

    @Test func evalUsesRunningStatistics() {
        let x = randomInput([2, 3, 4], seed: 2, requiresGrad: false)
        let runningMean = Tensor(shape: [3], scalars: [0.1, -0.2, 0.3]), runningVar = Tensor(shape: [3], scalars: [0.5, 1, 1.5])
        let weight = Tensor(shape: [3], scalars: [1.5, 0.5, -1]), bias = Tensor(shape: [3], scalars: [0, 1, 2])
        let y = batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, training: false)
        for i in 0..<x.count {
            let c = (i / 4) % 3
            let expected = (x.pointer[i] - runningMean.pointer[c]) / (runningVar.pointer[c] + 1e-5).squareRoot()
                * weight.pointer[c] + bias.pointer[c]
            #expect(abs(y.pointer[i] - expected) < 1e-5)
        }
        #expect(runningMean.scalars == [0.1, -0.2, 0.3])  // eval never updates them
    }

    @Test func trainingGradients() {
        let x = randomInput([3, 2, 5], seed: 11), weight = randomInput([2], seed: 12), bias = randomInput([2], seed: 13)
        checkGradients([x, weight, bias]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
        }
        let x4 = randomInput([2, 3, 2, 3], seed: 14)
        checkGradients([x4]) { batchNorm($0[0], weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true) }
    }

    @Test func evalGradients() {
        let x = randomInput([2, 3, 4], seed: 21), weight = randomInput([3], seed: 22), bias = randomInput([3], seed: 23)
        let runningMean = randomInput([3], seed: 24, requiresGrad: false)
        let runningVar = randomInput([3], seed: 25, requiresGrad: false).map { $0.magnitude + 0.5 }
        checkGradients([x, weight, bias]) {
            batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: runningMean, runningVar: runningVar, training: false)
        }
    }
}
