// Frozen-encoder evaluation during and after pretraining: a linear probe per modality the
// objective encodes (word accuracy on the held-out speakers) and, when it encodes both, audio↔video
// retrieval on the same split. Features are mean-pooled over tokens, computed with no graph.
import DuetData
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

public struct ProbeEvaluation {
    public let config: RunConfig
    public let trainManifest: String
    public let testManifest: String
    private let trainLabels: LabelSet
    private let testLabels: LabelSet
    private let log: ((String) -> Void)?

    /// Reads the splits `config.probe` names (or the synthetic corpus's word splits) and their
    /// class labels; a missing or malformed label file is an error naming it.
    public init(config: RunConfig, log: ((String) -> Void)? = nil) throws(TrainError) {
        self.config = config
        self.log = log
        if let train = config.probe.trainManifest, let test = config.probe.testManifest {
            (trainManifest, testManifest) = (train, test)
        } else {
            let corpus = try SyntheticCorpusCache.corpus(config, log: log ?? { _ in })
            trainManifest = corpus.appendingPathComponent(SyntheticClips.words.manifest(split: "train")).path
            testManifest = corpus.appendingPathComponent(SyntheticClips.words.manifest(split: "valid")).path
        }
        trainLabels = try Self.labels(besideManifest: trainManifest, extension: config.probe.labels)
        testLabels = try Self.labels(besideManifest: testManifest, extension: config.probe.labels)
    }

    /// Classes the probe separates: one past the largest label of either split.
    public var classes: Int {
        Int((trainLabels.encoded + testLabels.encoded).joined().max() ?? 0) + 1
    }

    /// `probe/<modality>_acc` for each modality `objective` encodes (with the `lbfgs` solver also
    /// `probe/<modality>_l2`, the weight the folds chose, and `_fold_acc`), `probe/classes`, and with
    /// both, `retrieval/a2v_r1`, `_r5`, `retrieval/v2a_r1`, `_r5` and `retrieval/chance_r1`.
    public func run(_ objective: any PretrainingObjective) throws(TrainError) -> [String: Double] {
        let modalities = objective.encodedModalities
        guard !modalities.isEmpty else { throw .objective(.cannotEncode(objective: objective.name, modality: "any")) }
        let train = try features(objective, manifest: trainManifest, labels: trainLabels, modalities: modalities)
        let test = try features(objective, manifest: testManifest, labels: testLabels, modalities: modalities,
                                retrieval: Set(modalities).isSuperset(of: [.audio, .video]))
        var probe = LinearProbe(steps: config.probe.steps, learningRate: Float(config.probe.lr),
                                weightDecay: Float(config.probe.weightDecay), seed: UInt64(config.seed), solver: config.probe.solver)
        (probe.l2Candidates, probe.folds) = (config.probe.l2, config.probe.folds)
        var values: [String: Double] = ["probe/classes": Double(classes)]
        for modality in modalities {
            let result = probe.evaluate(train: train[modality]!.binned, test: test[modality]!.binned, classes: classes)
            values["probe/\(modality.rawValue)_acc"] = result.accuracy
            if let l2 = result.l2, let folds = result.foldAccuracy {
                values["probe/\(modality.rawValue)_l2"] = l2
                values["probe/\(modality.rawValue)_fold_acc"] = folds
            }
        }
        if let audio = test[.audio]?.retrieval, let video = test[.video]?.retrieval {
            // Rows of different widths live in spaces nothing aligns (mean tokens of towers of
            // different widths): there is no cosine to rank by.
            guard audio.shape[1] == video.shape[1] else {
                log?("retrieval skipped: \(objective.name)'s audio and video retrieval rows differ in width (\(audio.shape[1]) and \(video.shape[1]))")
                return values
            }
            let recall = RetrievalRecall(audio: audio, video: video, ks: [1, 5])
            values["retrieval/a2v_r1"] = recall.audioToVideo[1]
            values["retrieval/a2v_r5"] = recall.audioToVideo[5]
            values["retrieval/v2a_r1"] = recall.videoToAudio[1]
            values["retrieval/v2a_r5"] = recall.videoToAudio[5]
            values["retrieval/chance_r1"] = 1 / Double(recall.count)
        }
        return values
    }

    /// One split's features of one modality: for the probe, the tokens' means over
    /// `probe.time_bins` consecutive stretches of tokens, concatenated `[N, bins × D]` (their
    /// mean with one bin); when asked, the objective's retrieval features `[N, E]`.
    struct PooledFeatures {
        var binned: LabelledFeatures
        var retrieval: Tensor?
    }

    /// Pooled features of every clip of `manifest`, per modality, in manifest order; with
    /// `retrieval`, each batch's `retrievalFeatures` too (from the same tokens, so row i of
    /// every modality is clip i).
    func features(_ objective: any PretrainingObjective, manifest: String, labels: LabelSet,
                  modalities: [Modality], retrieval: Bool = false) throws(TrainError) -> [Modality: PooledFeatures] {
        let source = try LoaderBatchSource(manifest: manifest, config: config, training: false, labels: labels,
                                           modalities: (modalities.contains(.audio), modalities.contains(.video)),
                                           wholeEpoch: true, log: log)
        var binnedRows: [Modality: [Float]] = [:], retrievalRows: [Modality: [Float]] = [:]
        var dims: [Modality: Int] = [:], retrievalDims: [Modality: Int] = [:]
        var classes: [Int32] = []
        let context = ForwardContext(isTraining: false, stream: RandomStream(seed: UInt64(config.seed)).derived(0x7072_6F62))
        for _ in 0..<source.batchesPerEpoch {
            let batch: ObjectiveBatch
            do { batch = try source.next() } catch { throw .data("\(error)") }
            guard let batchLabels = batch.labels, batchLabels.allSatisfy({ $0.count == 1 }) else {
                throw .data("\(manifest): the probe needs one class label per clip (\(config.probe.labels) file)")
            }
            classes += batchLabels.map { $0[0] }
            for modality in modalities {
                let tokens: Tensor
                do { tokens = try objective.encode(batch, modality: modality, context: context) } catch { throw .objective(error) }
                let binned = noGrad { Self.binnedMeans(tokens, bins: config.probe.timeBins) }
                dims[modality] = tokens.shape[2]
                binnedRows[modality, default: []] += binned.scalars
                if retrieval {
                    let rows: Tensor
                    do { rows = try objective.retrievalFeatures(batch, tokens: tokens, modality: modality, context: context) } catch {
                        throw .objective(error)
                    }
                    retrievalDims[modality] = rows.shape[1]
                    retrievalRows[modality, default: []] += rows.scalars
                }
            }
        }
        var result: [Modality: PooledFeatures] = [:]
        for modality in modalities {
            let dim = dims[modality] ?? 0
            let bins = Swift.min(config.probe.timeBins, Swift.max(1, (binnedRows[modality]?.count ?? 0) / Swift.max(classes.count * dim, 1)))
            result[modality] = PooledFeatures(
                binned: LabelledFeatures(features: Tensor(shape: [classes.count, bins * dim], scalars: binnedRows[modality] ?? []),
                                         labels: classes),
                retrieval: retrievalDims[modality].map { Tensor(shape: [classes.count, $0], scalars: retrievalRows[modality] ?? []) })
        }
        return result
    }

    /// `tokens` [B, N, D] averaged over `bins` consecutive, near-equal stretches of tokens and
    /// concatenated: [B, bins × D]. Every tower orders its tokens time-major (tubelet steps, rows
    /// of filterbank patches, frames), so the stretches are stretches of time and the probe sees
    /// the order of events that a single mean erases (fewer bins when N < bins).
    static func binnedMeans(_ tokens: Tensor, bins: Int) -> Tensor {
        let n = tokens.shape[1]
        let count = Swift.min(bins, n)
        guard count > 1 else { return tokens.mean(axis: 1) }
        let parts = (0..<count).map { i -> Tensor in
            let start = i * n / count, end = (i + 1) * n / count
            return tokens.narrowed(axis: 1, start: start, length: end - start).mean(axis: 1)
        }
        return Tensor.concat(parts, axis: 1)
    }

    static func labels(besideManifest manifest: String, extension ext: String) throws(TrainError) -> LabelSet {
        let path = LabelFile.path(besideManifest: manifest, extension: ext)
        do {
            let entries = try Manifest.load(contentsOf: manifest).count
            return try LabelSet(LabelFile.load(contentsOf: path, kind: .classes, entries: entries), vocabulary: nil)
        } catch {
            throw .data("probe labels \(path): \(error)")
        }
    }
}
