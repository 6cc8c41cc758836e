// `duet export`: one modality's encoder tower of a checkpoint as files PyTorch loads unchanged —
// model.safetensors (timm names and layouts, {"format": "pt"}), config.json (architecture and
// every preprocessing constant), sample.safetensors (an input and Duet's output) and README.md.
// Everything is written into a temporary folder beside the output and renamed into place.
import DuetModels
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var folder: URL
    public var modality: Modality
    public var parameters: Int
    public var inputShape: [Int]
    public var outputShape: [Int]
}

public enum EncoderExport {
    /// The seed of the sample input (a standard normal tensor of the tower's input shape).
    static let sampleSeed: UInt64 = 0x5341_4D50

    /// Exports `modality`'s tower of the checkpoint `spec` (a checkpoint folder, a run folder or
    /// RUN/checkpoints/latest) into the new folder `out`.
    @discardableResult
    public static func run(checkpoint spec: String, modality: Modality, out: String) throws(ExportError) -> ExportSummary {
        let fm = FileManager.default
        let destination = URL(fileURLWithPath: out).standardizedFileURL
        if fm.fileExists(atPath: destination.path) { throw .outputExists(path: destination.path) }
        let checkpoint: Checkpoint
        let file: SafeTensorsFile
        let config: RunConfig
        do {
            checkpoint = try TowerLookup.checkpoint(spec)
            (file, config) = try TowerLookup.read(checkpoint)
        } catch {
            throw .checkpoint(error)
        }
        guard let source = TowerLookup.sourcePrefix(of: modality, in: file, config: config) else {
            throw .missingModality(checkpoint: checkpoint.folder.path, modality: modality.rawValue,
                                   objective: config.task.map { "finetune-\($0.kind.rawValue) on \($0.modality.rawValue)" } ?? config.objective.name)
        }
        if file.names.contains(where: { $0.hasPrefix(source) && $0.contains("frontend3D.") }) {
            throw .unsupportedTower(checkpoint: checkpoint.folder.path,
                                    reason: "the lip-reading front-end + Transformer tower cannot be exported yet (ViT towers only)")
        }
        let grid = ObjectiveFactory.tokenGrid(for: config, modality: modality)
        let tower = modality == .video ? config.model.video.transformer : config.model.audio.transformer
        let size = TransformerSize(dim: tower.dim, depth: tower.depth, heads: tower.heads, mlpRatio: Float(tower.mlpRatio))
        let store = ParameterStore(seed: 0)
        let encoder = MAEEncoder(store.builder, grid: grid, size: size)
        store.finalize()
        do { try TowerLookup.load(store, prefix: "", from: file, source: source) } catch { throw .checkpoint(error) }

        let inputShape = FineTuningTask.inputShape(grid, batch: 1)
        let input = Tensor.randomNormal(inputShape, stream: RandomStream(seed: sampleSeed))
        let output = noGrad { encoder(input, mask: nil, context: .evaluation) }

        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())", isDirectory: true)
        do {
            try? fm.removeItem(at: temporary)
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            let description = ExportDescription(config: config, modality: modality, grid: grid, size: size, checkpoint: checkpoint,
                                                source: source, inputShape: inputShape, outputShape: output.shape)
            try store.save(to: temporary.appendingPathComponent("model.safetensors"),
                           metadata: ["format": "pt", "duet_checkpoint": checkpoint.folder.path, "duet_modality": modality.rawValue])
            try SafeTensorsWriter.write(["input": input, "output": output],
                                        metadata: ["format": "pt", "what": "input: a standard normal draw; output: forward_features"],
                                        to: temporary.appendingPathComponent("sample.safetensors"))
            try description.configJSON.write(to: temporary.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
            try description.readme.write(to: temporary.appendingPathComponent("README.md"), atomically: false, encoding: .utf8)
            for name in ["model.safetensors", "sample.safetensors", "config.json", "README.md"] {
                try sync(temporary.appendingPathComponent(name).path)
            }
            // rename(2) would replace an empty folder made meanwhile: check again just before.
            if fm.fileExists(atPath: destination.path) { throw ExportError.outputExists(path: destination.path) }
            guard rename(temporary.path, destination.path) == 0 else {
                throw ExportError.io(path: destination.path, reason: "cannot rename \(temporary.path) into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? fm.removeItem(at: temporary)
            if let error = error as? ExportError { throw error }
            throw .io(path: destination.path, reason: "\(error)")
        }
        return ExportSummary(folder: destination, modality: modality, parameters: store.scalarCount, inputShape: inputShape,
                             outputShape: output.shape)
    }
}
