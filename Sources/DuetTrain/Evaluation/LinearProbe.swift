// The linear probe: a frozen encoder's mean-pooled features, standardised with the training
// split's statistics, classified by multinomial logistic regression, scored by accuracy on a
// held-out split. By default the regression is solved to its optimum (L-BFGS) with its L2 weight
// chosen by cross-validation on the training split, CLIP's protocol, so the same features always
// give the same accuracy; `adamw` keeps the earlier probe (a Linear layer, full-batch AdamW for a
// fixed number of steps), whose result moved with its initialisation's seed.
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

    /// The samples at `indices`, in that order.
    func rows(_ indices: [Int]) -> LabelledFeatures {
        let d = dim
        var values = [Float](repeating: 0, count: indices.count * d)
        for (row, i) in indices.enumerated() {
            for j in 0..<d { values[row * d + j] = features.pointer[i * d + j] }
        }
        return LabelledFeatures(features: Tensor(shape: [indices.count, d], scalars: values), labels: indices.map { labels[$0] })
    }
}

/// How the probe's logistic regression is solved.
public enum ProbeSolver: String, ConfigChoice, Sendable {
    /// L-BFGS to the optimum of mean cross-entropy + λ/2·‖W‖², λ chosen by cross-validation.
    case lbfgs
    /// Full-batch AdamW for `steps` steps from a seeded initialisation.
    case adamw
}

/// What the cross-validated probe chose and scored.
public struct ProbeResult: Sendable, Equatable {
    public var accuracy: Double
    /// The L2 weight the folds chose (nil for `adamw`).
    public var l2: Double?
    /// Mean accuracy over the folds at that weight (nil for `adamw`).
    public var foldAccuracy: Double?
}

public struct LinearProbe: Sendable {
    public var solver = ProbeSolver.lbfgs
    /// λ values the folds try; ties go to the largest (the simplest fit).
    public var l2Candidates: [Double] = [1e-4, 1e-3, 1e-2, 1e-1, 1]
    /// Folds of the training split: contiguous stretches of it, so a manifest ordered by speaker
    /// (as the synthetic corpus's) holds out whole speakers, as the test split does.
    public var folds = 4
    /// Full-batch optimizer steps (`adamw`).
    public var steps = 300
    public var learningRate: Float = 0.01
    /// AdamW's decoupled decay on the weight (not the bias): the probe's only regulariser.
    public var weightDecay: Float = 1e-3
    /// Keys the weight's initialisation (`adamw`; the `lbfgs` optimum has none).
    public var seed: UInt64 = 0

    public init(steps: Int = 300, learningRate: Float = 0.01, weightDecay: Float = 1e-3, seed: UInt64 = 0,
                solver: ProbeSolver = .lbfgs) {
        (self.steps, self.learningRate, self.weightDecay, self.seed) = (steps, learningRate, weightDecay, seed)
        self.solver = solver
    }

    /// The fraction of `test` classified right by a probe trained on `train`, over `classes` classes.
    public func accuracy(train: LabelledFeatures, test: LabelledFeatures, classes: Int) -> Double {
        evaluate(train: train, test: test, classes: classes).accuracy
    }

    /// The accuracy on `test`, and for `lbfgs` the L2 weight the folds chose and their accuracy.
    public func evaluate(train: LabelledFeatures, test: LabelledFeatures, classes: Int) -> ProbeResult {
        switch solver {
        case .adamw: return ProbeResult(accuracy: adamWAccuracy(train: train, test: test, classes: classes))
        case .lbfgs:
            let (l2, foldAccuracy) = crossValidatedL2(train, classes: classes)
            return ProbeResult(accuracy: StandardisedSplit(train: train, test: test).accuracy(classes: classes, l2: l2), l2: l2,
                               foldAccuracy: foldAccuracy)
        }
    }

    /// Features of a train and a test split standardised with the train split's statistics.
    struct StandardisedSplit {
        var train: Tensor
        var trainLabels: [Int32]
        var test: Tensor
        var testLabels: [Int32]

        init(train: LabelledFeatures, test: LabelledFeatures) {
            let (mean, scale) = LinearProbe.standardisation(train.features)
            (self.train, self.test) = noGrad { ((train.features - mean) * scale, (test.features - mean) * scale) }
            (trainLabels, testLabels) = (train.labels, test.labels)
        }

        /// The fraction of `test` right.
        func score(_ predicted: [Int32]) -> Double {
            Double(zip(predicted, testLabels).filter { $0 == $1 }.count) / Double(max(testLabels.count, 1))
        }

        /// Accuracy on `test` of the regression fitted on `train` with weight `l2`.
        func accuracy(classes: Int, l2: Double) -> Double {
            score(LogisticRegression(l2: l2).fit(train, labels: trainLabels, classes: classes).predict(test))
        }
    }

    /// The candidate λ with the best mean accuracy over the folds (the largest on ties).
    func crossValidatedL2(_ train: LabelledFeatures, classes: Int) -> (l2: Double, accuracy: Double) {
        let k = max(2, min(folds, train.count))
        // The folds and their standardisation do not depend on λ: made once, fitted per λ.
        let splits = (0..<k).map { fold in
            let lo = train.count * fold / k, hi = train.count * (fold + 1) / k
            return StandardisedSplit(train: train.rows(Array(0..<lo) + Array(hi..<train.count)), test: train.rows(Array(lo..<hi)))
        }
        var best: (l2: Double, accuracy: Double)?
        for l2 in l2Candidates.sorted(by: >) {
            let mean = splits.reduce(0) { $0 + $1.accuracy(classes: classes, l2: l2) } / Double(k)
            if best == nil || mean > best!.accuracy { best = (l2, mean) }
        }
        return best ?? (l2Candidates.first ?? 0, 0)
    }

    func adamWAccuracy(train: LabelledFeatures, test: LabelledFeatures, classes: Int) -> Double {
        let split = StandardisedSplit(train: train, test: test)
        let (trainX, testX) = (split.train, split.test)
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
        return split.score(noGrad { Self.argmaxRows(head(testX)) })
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
