// Finding a modality's encoder tower in a checkpoint by Duet's naming rule: an audio-visual or
// fine-tuning store keeps it under `audio_encoder.` / `video_encoder.` (timm names below), a
// single-modality MAE at the root (MAE's names, beside its decoder_* and mask_token).
import DuetNN
import DuetObjectives
import DuetTensor
import Foundation

public enum TowerLookup {
    /// The prefix of `modality`'s tower in stores that name towers by modality.
    public static func prefix(_ modality: Modality) -> String { "\(modality.rawValue)_encoder." }

    /// Where `modality`'s tower sits among `names`: its `<modality>_encoder.` prefix when the
    /// store has one, "" when the store is a root-level MAE of that modality (its config's
    /// objective, or else the rank of `patch_embed.proj.weight`: 5 for tubelets, 4 for patches),
    /// nil when the checkpoint holds no such tower.
    public static func sourcePrefix(of modality: Modality, in file: SafeTensorsFile,
                                    config: RunConfig?) -> String? {
        let named = prefix(modality)
        if file.names.contains(where: { $0.hasPrefix(named) }) { return named }
        if let config, config.task == nil {
            return config.objective.name == "mae-\(modality.rawValue)" && file.contains("patch_embed.proj.weight") ? "" : nil
        }
        guard let shape = try? file.entry("patch_embed.proj.weight").shape else { return nil }
        return shape.count == (modality == .video ? 5 : 4) ? "" : nil
    }

    /// Copies the tower under `prefix` of `store` from the names under `source` of `file`, name
    /// for name. Fixed (untrained) position tables whose shape differs are skipped: they are
    /// recomputed for the new clip length. Anything missing or mis-shaped is a `mismatch` naming
    /// every such tensor, and then nothing is copied. Returns what was skipped.
    @discardableResult
    public static func load(_ store: ParameterStore, prefix: String, from file: SafeTensorsFile,
                            source: String) throws(CheckpointError) -> [String] {
        var copies: [(Parameter, SafeTensorsEntry)] = []
        var missing: [String] = [], misshaped: [String] = [], skipped: [String] = []
        for p in prefix.isEmpty ? store.parameters : store.parameters(under: String(prefix.dropLast())) {
            let name = source + p.name.dropFirst(prefix.count)
            guard file.contains(name), let entry = try? file.entry(name) else { missing.append(name); continue }
            if entry.shape != p.shape {
                if p.role == .positionEmbedding && !p.isTrainable {
                    skipped.append("\(name) \(entry.shape) → \(p.shape)")
                } else {
                    misshaped.append("\(name) is \(entry.shape), the model's \(p.name) is \(p.shape)")
                }
                continue
            }
            copies.append((p, entry))
        }
        guard missing.isEmpty && misshaped.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.prefix(6).joined(separator: ", "))\(missing.count > 6 ? ", … (\(missing.count))" : "")") }
            if !misshaped.isEmpty { parts.append(misshaped.prefix(4).joined(separator: "; ")) }
            throw .mismatch(file: file.file, reason: parts.joined(separator: "; ")
                + " (does model.* of this config match the checkpoint's tower?)")
        }
        for (p, entry) in copies {
            do {
                let values = try entry.floats()
                values.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.count) }
            } catch {
                throw .corrupt(file: file.file, reason: "\(error)")
            }
        }
        return skipped
    }

    /// The checkpoint `spec` names: a checkpoint folder, a run folder (its latest checkpoint), or
    /// `RUN/checkpoints/latest`.
    public static func checkpoint(_ spec: String) throws(CheckpointError) -> Checkpoint {
        let url = URL(fileURLWithPath: spec)
        if url.lastPathComponent == "latest", !FileManager.default.fileExists(atPath: url.path) {
            let parent = url.deletingLastPathComponent()
            let run = parent.lastPathComponent == "checkpoints" ? parent.deletingLastPathComponent() : parent
            return try CheckpointFolder.resolve("latest", runFolder: run)
        }
        return try CheckpointFolder.resolve(spec, runFolder: nil)
    }

    /// The model file of `checkpoint`, read and validated, and its state's config.
    public static func read(_ checkpoint: Checkpoint) throws(CheckpointError) -> (SafeTensorsFile, RunConfig) {
        let state = try checkpoint.readState()
        do {
            return (try SafeTensorsFile.read(contentsOf: checkpoint.modelFile), state.config)
        } catch {
            throw .corrupt(file: checkpoint.modelFile.path, reason: "\(error)")
        }
    }
}
