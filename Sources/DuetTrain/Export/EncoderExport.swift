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
        if modality == .audio, config.model.audio.tokens == .frames {
            throw .unsupportedTower(checkpoint: checkpoint.folder.path,
                                    reason: "the filterbank-frame audio tower (model.audio.tokens: frames) cannot be exported yet "
                                        + "(audio ViTs over patches and the lip-reading video tower can)")
        }
        if modality == .video, config.model.video.frontEnd == .lipResNet, config.objective.raven.positions == .rotary {
            throw .unsupportedTower(checkpoint: checkpoint.folder.path,
                                    reason: "the lip-reading tower with rotary positions (objective.raven.positions: rotary) cannot be exported yet "
                                        + "(its PyTorch module adds absolute positions)")
        }
        let store = ParameterStore(seed: 0)
        let (architecture, forward) = tower(config: config, modality: modality, store: store)
        store.finalize()
        do { try TowerLookup.load(store, prefix: "", from: file, source: source) } catch { throw .checkpoint(error) }

        let inputShape = Self.inputShape(config: config, modality: modality)
        let input = Tensor.randomNormal(inputShape, stream: RandomStream(seed: sampleSeed))
        let output = noGrad { forward(input) }

        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())", isDirectory: true)
        do {
            try? fm.removeItem(at: temporary)
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            let description = ExportDescription(config: config, modality: modality, architecture: architecture, checkpoint: checkpoint,
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

    /// The tower `config` describes for `modality`, built at the root of `store` (timm's and
    /// RAVEn's names, no `<modality>_encoder.` prefix), and its forward pass in evaluation mode
    /// (batch norms on their running statistics, no drop-path).
    static func tower(config: RunConfig, modality: Modality, store: ParameterStore) -> (ExportArchitecture, (Tensor) -> Tensor) {
        if modality == .video, config.model.video.frontEnd == .lipResNet {
            let tower = ObjectiveFactory.lipReadingTower(store.builder, config: config, dropPath: 0)
            let shape = LipReadingShape(channels: config.model.video.color.channels, frames: tower.frames,
                                        resnet: ResNetOptions.autoAVSR.width(config.model.video.resnetWidth),
                                        size: ObjectiveFactory.size(config.model.video.transformer),
                                        layerScale: config.objective.raven.layerScale.map(Float.init))
            return (.lipReading(shape), { tower($0, context: .evaluation) })
        }
        let grid = ObjectiveFactory.tokenGrid(for: config, modality: modality)
        let size = ObjectiveFactory.size(modality == .video ? config.model.video.transformer : config.model.audio.transformer)
        let encoder = MAEEncoder(store.builder, grid: grid, size: size)
        return (.vit(grid, size), { encoder($0, mask: nil, context: .evaluation) })
    }

    /// One clip as the tower reads it: [1, C, H, W] for patch ViTs, [1, C, T, H, W] for video.
    static func inputShape(config: RunConfig, modality: Modality) -> [Int] {
        let video = config.model.video
        if modality == .video, video.frontEnd == .lipResNet {
            return [1, video.color.channels, video.frames, video.size, video.size]
        }
        return FineTuningTask.inputShape(ObjectiveFactory.tokenGrid(for: config, modality: modality), batch: 1)
    }
}
