// The linear probe separates what is linearly separable and nothing more; retrieval recall counts
// ranks as MAViL reports them.
import DuetTensor
import Foundation
import Testing
@testable import DuetTrain

@Suite struct ProbeTests {
    /// Four classes at the corners of a square in two of eight dimensions, the rest noise.
    func corners(_ n: Int, seed: UInt64, labelNoise: Bool = false) -> LabelledFeatures {
        let stream = RandomStream(seed: seed)
        var rows: [Float] = [], labels: [Int32] = []
        for i in 0..<n {
            let label = Int32(i % 4)
            let centre: (Float, Float) = [(1, 1), (1, -1), (-1, 1), (-1, -1)][Int(label)]
            let noise = (0..<8).map { stream.normal(i * 8 + $0) * 0.3 }
            rows += [centre.0 + noise[0], centre.1 + noise[1]] + noise[2...].map { $0 * 3 }
            labels.append(labelNoise ? Int32(stream.derived(1).integer(i, below: 4)) : label)
        }
        return LabelledFeatures(features: Tensor(shape: [n, 8], scalars: rows), labels: labels)
    }

    @Test func separableClassesAreFound() {
        let accuracy = LinearProbe(steps: 200, learningRate: 0.05, solver: .adamw).accuracy(train: corners(200, seed: 1), test: corners(100, seed: 2), classes: 4)
        #expect(accuracy > 0.97)
    }

    @Test func randomLabelsStayNearChance() {
        let accuracy = LinearProbe(steps: 200, learningRate: 0.05, solver: .adamw)
            .accuracy(train: corners(200, seed: 1, labelNoise: true), test: corners(400, seed: 2, labelNoise: true), classes: 4)
        #expect(accuracy < 0.4)
    }

    /// The default probe: L-BFGS to the regularised optimum, λ from the folds.
    @Test func solvedProbeSeparatesCornersAndNotNoiseWhateverTheSeed() {
        let probe = { (seed: UInt64) in LinearProbe(seed: seed) }
        let separable = probe(1).evaluate(train: corners(200, seed: 1), test: corners(100, seed: 2), classes: 4)
        #expect(separable.accuracy > 0.97)
        #expect(separable.l2.map { probe(1).l2Candidates.contains($0) } == true && separable.foldAccuracy! > 0.9)
        let noise = probe(1).accuracy(train: corners(200, seed: 1, labelNoise: true), test: corners(400, seed: 2, labelNoise: true), classes: 4)
        #expect(noise < 0.4)
        // The optimum of a strictly convex problem: no initialisation, so no seed, moves it.
        let again = probe(7).evaluate(train: corners(200, seed: 1), test: corners(100, seed: 2), classes: 4)
        #expect(again == separable)
    }

    /// Two points x = ±1 of classes 1 and 0: by symmetry the fit is W = [[−a], [a]], b = 0, where
    /// the optimum of log(1 + e^(−2a)) + λa² solves σ(−2a) = λa (found here by bisection).
    @Test func regressionReachesTheOptimumOfTheRegularisedLoss() {
        let x = Tensor(shape: [2, 1], scalars: [1, -1])
        for l2 in [0.01, 0.1, 1.0] {
            let fit = LogisticRegression(l2: l2).fit(x, labels: [1, 0], classes: 2)
            var (lo, hi) = (0.0, 100.0)
            for _ in 0..<200 {
                let a = (lo + hi) / 2
                if 1 / (1 + exp(2 * a)) > l2 * a { lo = a } else { hi = a }
            }
            #expect(fit.converged)
            #expect(abs(Double(fit.weight[1]) - lo) < 1e-3 && abs(Double(fit.weight[0]) + lo) < 1e-3, "λ \(l2): \(fit.weight), expected ±\(lo)")
            #expect(abs(Double(fit.bias[0] - fit.bias[1])) < 1e-3)
            #expect(fit.predict(x) == [1, 0])
        }
    }

    @Test func standardisationUsesTheTrainingStatistics() {
        let x = Tensor(shape: [4, 2], scalars: [1, 10, 3, 10, 5, 10, 7, 10])
        let (mean, scale) = LinearProbe.standardisation(x)
        #expect(mean.scalars == [4, 10])
        expectClose(scale.scalars[0], 1 / Float(5).squareRoot(), tolerance: 1e-6)
        #expect(scale.scalars[1].isFinite, "a constant column stays finite")
    }

    @Test func recallCountsRanksOfTheTrueMatch() {
        // Audio 0 matches video 0 best; audio 1's best match is video 2, its own is second; audio 2
        // is closest to video 0, then 1, and its own last.
        let audio = Tensor(shape: [3, 2], scalars: [1, 0, 0.6, 0.8, 0.9, 0.1])
        let video = Tensor(shape: [3, 2], scalars: [1, 0, 0.8, 0.6, 0.5, 1])
        let recall = RetrievalRecall(audio: audio, video: video, ks: [1, 2, 3])
        // Similarities (cosine): a0 → [1, .8, .447]; a1 → [.6, .96, .984]; a2 → [.994, .854, .543].
        #expect(recall.audioToVideo[1] == 1.0 / 3)
        #expect(recall.audioToVideo[2] == 2.0 / 3)
        #expect(recall.audioToVideo[3] == 1)
        // Video 0 → audios [1, .6, .994]: own first. Video 1 → [.8, .96, .854]: own first.
        // Video 2 → [.447, .984, .543]: own second.
        #expect(recall.videoToAudio[1] == 2.0 / 3)
        #expect(recall.videoToAudio[2] == 1)
        #expect(recall.count == 3)
    }
}

private func expectClose(_ a: Float, _ b: Float, tolerance: Float) {
    #expect(abs(a - b) <= tolerance, "\(a) vs \(b)")
}
