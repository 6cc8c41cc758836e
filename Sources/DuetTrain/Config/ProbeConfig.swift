// The `probe:` section: which labelled splits the linear probe and retrieval read, and the probe's
// own optimisation. How often it runs is `train.probe_every`.
import Foundation

public struct ProbeConfig: ConfigSection, Equatable, Sendable {
    /// The labelled split the probe is trained on; null takes the synthetic corpus's words-train.tsv.
    public var trainManifest: String? = nil
    /// The split the probe and retrieval are scored on; null takes the synthetic words-valid.tsv.
    public var testManifest: String? = nil
    /// Extension of the class-label file beside each manifest (`words-train.lbl`): one integer a line.
    public var labels = "lbl"
    /// Stretches of time whose token means the probe concatenates (1: one mean over all tokens, as
    /// MAE's probe; words are sequences, so lip-reading probes keep their order with a few bins).
    public var timeBins = 1
    /// `lbfgs`: the regularised logistic regression solved to its optimum, its L2 weight chosen
    /// from `l2` by `folds`-fold cross-validation on the train split; `adamw`: the earlier probe,
    /// full-batch AdamW for `steps` steps at `lr` and `weight_decay`, seeded by `seed`.
    public var solver = ProbeSolver.lbfgs
    /// λ candidates of mean cross-entropy + λ/2·‖W‖² (`lbfgs`).
    public var l2 = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    /// Contiguous folds of the train split for choosing λ (`lbfgs`).
    public var folds = 4
    /// Full-batch AdamW steps of the logistic regression (`adamw`).
    public var steps = 300
    public var lr = 0.01
    public var weightDecay = 0.001

    public init() {}

    public static var fields: [ConfigField<Self>] {
        [.init("train_manifest", \.trainManifest), .init("test_manifest", \.testManifest), .init("labels", \.labels), .init("time_bins", \.timeBins),
         .init("solver", \.solver), .init("l2", \.l2), .init("folds", \.folds),
         .init("steps", \.steps), .init("lr", \.lr), .init("weight_decay", \.weightDecay)]
    }

    public func validate(at path: ConfigPath) throws(ConfigError) {
        try path["labels"].require(!labels.isEmpty && !labels.contains("/"), "must be a file extension such as lbl, got '\(labels)'")
        try path["time_bins"].requirePositive(timeBins)
        try path["l2"].require(!l2.isEmpty && l2.allSatisfy { $0 > 0 && $0.isFinite }, "must list positive weights, got \(l2)")
        try path["folds"].require(folds >= 2, "must be at least 2, got \(folds)")
        try path["steps"].requirePositive(steps)
        try path["lr"].requirePositive(lr)
        try path["weight_decay"].require(weightDecay >= 0, "must be ≥ 0, got \(weightDecay)")
        try path["test_manifest"].require((trainManifest == nil) == (testManifest == nil),
            "give both probe.train_manifest and probe.test_manifest, or neither (the synthetic corpus's words splits)")
    }

    /// Both manifests must exist (checked before a run starts, as `data.manifest`).
    public func checkFiles(at path: ConfigPath) throws(ConfigError) {
        for (key, file) in [("train_manifest", trainManifest), ("test_manifest", testManifest)] {
            guard let file else { continue }
            try path[key].require(FileManager.default.fileExists(atPath: file), "no such file \(file)")
        }
    }
}
