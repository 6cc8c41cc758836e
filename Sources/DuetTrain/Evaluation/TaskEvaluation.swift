// `duet evaluate --checkpoint X --split test`: a fine-tuned checkpoint run over every clip of a
// split; word accuracy and the confusion matrix, or corpus WER / CER of greedy and beam-search
// CTC decoding; the predictions (id, reference, hypothesis) written beside the numbers.
import DuetData
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

/// What a split scored.
public struct TaskReport: Sendable {
    public var split: TaskSplit
    public var kind: TaskKind
    public var clips = 0
    /// Word tasks: top-1 accuracy and confusion counts [reference][hypothesis] over the units.
    public var accuracy: Double?
    public var confusion: [[Int]]?
    /// CTC tasks: corpus-level rates of greedy decoding, and of the beam search of `beamSize`.
    public var greedy: ErrorRates?
    public var beam: ErrorRates?
    public var beamSize: Int?
    /// (id, reference, hypothesis): the beam's hypothesis for CTC.
    public var predictions: [(id: String, reference: String, hypothesis: String)] = []
    /// The unit names, for the confusion matrix's rows and columns.
    public var units: [String] = []

    public var summary: String {
        if let accuracy { return "word accuracy \(percent(accuracy)) over \(clips) clips" }
        var parts = ["\(clips) clips"]
        if let greedy { parts.append("greedy WER \(percent(greedy.wer)) CER \(percent(greedy.cer))") }
        if let beam, let beamSize { parts.append("beam \(beamSize) WER \(percent(beam.wer)) CER \(percent(beam.cer))") }
        return parts.joined(separator: ", ")
    }

    /// The numbers as one JSON object.
    public var json: String {
        var fields = ["\"split\": \"\(split.rawValue)\"", "\"task\": \"\(kind.rawValue)\"", "\"clips\": \(clips)"]
        if let accuracy { fields.append("\"accuracy\": \(jsonNumber(accuracy))") }
        for (name, rates) in [("greedy", greedy), ("beam", beam)] {
            guard let rates else { continue }
            let w = rates.words, c = rates.characters
            fields.append("\"\(name)\": {\"wer\": \(jsonNumber(rates.wer)), \"cer\": \(jsonNumber(rates.cer)), "
                + "\"word_substitutions\": \(w.substitutions), \"word_deletions\": \(w.deletions), "
                + "\"word_insertions\": \(w.insertions), \"reference_words\": \(w.reference), "
                + "\"character_errors\": \(c.errors), \"reference_characters\": \(c.reference)}")
        }
        if let beamSize { fields.append("\"beam_size\": \(beamSize)") }
        return "{" + fields.joined(separator: ", ") + "}\n"
    }

    /// predictions-SPLIT.tsv, metrics-SPLIT.json and (word tasks) confusion-SPLIT.tsv in `folder`.
    public func write(to folder: URL) throws(TrainError) {
        func clean(_ s: String) -> String { s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
        var files = ["predictions-\(split.rawValue).tsv": "id\treference\thypothesis\n"
            + predictions.map { "\(clean($0.id))\t\(clean($0.reference))\t\(clean($0.hypothesis))\n" }.joined(),
                     "metrics-\(split.rawValue).json": json]
        if let confusion {
            files["confusion-\(split.rawValue).tsv"] = "reference\\hypothesis\t" + units.joined(separator: "\t") + "\n"
                + zip(units, confusion).map { "\($0)\t" + $1.map(String.init).joined(separator: "\t") + "\n" }.joined()
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        } catch {
            throw .runFolder(path: folder.path, reason: "cannot write the evaluation: \(error.localizedDescription)")
        }
    }
}

public enum TaskEvaluation {
    /// Evaluates `checkpoint` (of a fine-tuning run) on `split` of its config's data and writes
    /// the files into `output` (default RUN/evaluation/step-N/). `beamSize` overrides task.beam_size.
    public static func run(checkpoint: Checkpoint, split: TaskSplit, output: URL?, beamSize: Int? = nil,
                           overrides: [String] = []) throws(TrainError) -> TaskReport {
        let state: TrainingState
        do { state = try checkpoint.readState() } catch { throw .checkpoint(error) }
        var config = state.config
        if !overrides.isEmpty {
            do { config = try RunConfig(yaml: config.yaml, file: checkpoint.stateFile.path, overrides: overrides, checkingFiles: true) }
            catch { throw .config(error) }
        }
        guard let task = config.task else {
            throw .usage("\(checkpoint.folder.path) is a pretraining checkpoint (objective \(config.objective.name)); "
                + "evaluate a fine-tuned one (duet finetune), or probe it with duet evaluate --probe")
        }
        let note: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let data = try FineTuningData(config: config, log: note)
        let model = try FineTuning.makeTask(for: config, data: data, loadingInit: false)
        do { try checkpoint.loadModel(into: model.store) } catch { throw .checkpoint(error) }
        guard let manifest = data.manifests[split] else { throw .usage("no \(split.rawValue) manifest (data.\(FineTuningData.key(split)))") }
        let labels = try data.labels(split)
        let source = try LoaderBatchSource(manifest: manifest, config: config, training: false, labels: labels, wholeEpoch: true, log: note)
        var report = TaskReport(split: split, kind: task.kind, units: data.units.symbols)
        let beam = beamSize ?? task.beamSize
        var right = 0
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: data.units.count), count: data.units.count)
        var greedy = ErrorRates(), searched = ErrorRates()
        for index in 0..<source.batchesPerEpoch {
            let batch: ObjectiveBatch
            do { batch = try source.next() } catch { throw .data("\(error)") }
            let context = ForwardContext(isTraining: false, stream: RandomStream(seed: UInt64(config.seed)).derived(UInt64(index)))
            let (logits, steps) = try noGrad {
                Result { () throws(ObjectiveError) in try model.logits(batch, context: context) }
            }.mapError(TrainError.objective).get()
            let references = batch.labels ?? []
            switch task.kind {
            case .word:
                for (b, predicted) in LinearProbe.argmaxRows(logits).enumerated() {
                    let reference = references[b].first ?? -1
                    if predicted == reference { right += 1 }
                    if reference >= 0 { confusion[Int(reference)][Int(predicted)] += 1 }
                    report.predictions.append((batch.ids[b], data.text([reference]), data.text([predicted])))
                }
            case .ctc:
                let perSample = noGrad { logits.logSoftmax(axis: -1).transposed(0, 1) }  // [B, T', C]
                let (frames, classes) = (perSample.shape[1], perSample.shape[2])
                for b in 0..<perSample.shape[0] {
                    let rows = perSample.pointer + b * frames * classes, valid = steps?[b] ?? frames
                    let reference = data.text(references[b])
                    let best = data.text(CTCDecoding.greedy(rows, frames: valid, classes: classes))
                    let searchedText = beam > 1
                        ? data.text(CTCDecoding.beamSearch(rows, frames: valid, classes: classes, beamWidth: beam)) : best
                    greedy.add(reference: reference, hypothesis: best)
                    searched.add(reference: reference, hypothesis: searchedText)
                    report.predictions.append((batch.ids[b], reference, searchedText))
                }
            }
            report.clips += batch.batchSize
        }
        if task.kind == .word {
            report.accuracy = Double(right) / Double(max(report.clips, 1))
            report.confusion = confusion
        } else {
            report.greedy = greedy
            report.beam = searched
            report.beamSize = beam
        }
        let run = checkpoint.folder.deletingLastPathComponent().deletingLastPathComponent()
        try report.write(to: output ?? run.appendingPathComponent("evaluation/\(checkpoint.folder.lastPathComponent)", isDirectory: true))
        return report
    }
}

/// 12.5 %, one decimal.
func percent(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }
