// The linear probe of MAE and data2vec: a frozen encoder's mean-pooled features, standardised with
// the training split's statistics, classified by multinomial logistic regression (one Linear
// layer, cross-entropy, AdamW, full batch), scored by accuracy on a held-out split.
import DuetNN
import DuetTensor

/// Pooled features, one row per sample, with each sample's class.
public struct LabelledFeatures: Sendable {
    /// [N, D].
    public var features: Tensor
    public var labels: [Int32]

    public init(features: Tensor, labels: [Int32]) {
        precondition(features.shape.count == 2 && features.shape[0] == labels.count, "one label per feature row")
        self.features = features
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var dim: Int { features.shape[1] }
}

public struct LinearProbe: Sendable {
    /// Full-batch optimizer steps.
    public var steps = 300
    public var learningRate: Float = 0.01
    /// AdamW's decoupled decay on the weight (not the bias): the probe's only regulariser.
    public var weightDecay: Float = 1e-3
    /// Keys the weight's initialisation, so the same features give the same accuracy.
    public var seed: UInt64 = 0

    public init(steps: Int = 300, learningRate: Float = 0.01, weightDecay: Float = 1e-3, seed: UInt64 = 0) {
        (self.steps, self.learningRate, self.weightDecay, self.seed) = (steps, learningRate, weightDecay, seed)
    }

    /// The fraction of `test` classified right by a probe trained on `train`, over `classes` classes.
    public func accuracy(train: LabelledFeatures, test: LabelledFeatures, classes: Int) -> Double {
        let (mean, scale) = Self.standardisation(train.features)
        let trainX = (train.features - mean) * scale, testX = (test.features - mean) * scale
        let store = ParameterStore(seed: seed)
        let head = Linear(store.builder.scope("head"), inFeatures: train.dim, outFeatures: classes)
        store.finalize()
        // AdamW cannot fail on a fresh store with valid hyper-parameters.
        let optimizer = try! AdamW(store, weightDecay: weightDecay)
        for _ in 0..<steps {
            store.zeroGradients()
            crossEntropyLoss(head(trainX), labels: train.labels).backward()
            optimizer.step(learningRate: learningRate)
        }
        let predicted = noGrad { Self.argmaxRows(head(testX)) }
        let right = zip(predicted, test.labels).filter { $0 == $1 }.count
        return Double(right) / Double(max(test.count, 1))
    }

    /// Per-dimension mean and 1 / std of `x` [N, D] (std floored so constant dimensions stay finite).
    static func standardisation(_ x: Tensor) -> (mean: Tensor, scale: Tensor) {
        noGrad {
            let mean = x.mean(axis: 0, keepingDims: true)
            let centred = x - mean
            let variance = (centred * centred).mean(axis: 0, keepingDims: true)
            let scale = Tensor(shape: variance.shape, scalars: variance.scalars.map { 1 / max($0, 1e-12).squareRoot() })
            return (mean, scale)
        }
    }

    /// The index of each row's largest value (the first on ties).
    static func argmaxRows(_ x: Tensor) -> [Int32] {
        let (rows, columns) = (x.shape[0], x.shape[1])
        let values = x.scalars
        return (0..<rows).map { r in
            var best = 0
            for c in 1..<columns where values[r * columns + c] > values[r * columns + best] { best = c }
            return Int32(best)
        }
    }
}
