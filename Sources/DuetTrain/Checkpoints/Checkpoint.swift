// Checkpoint folders, `RUN/checkpoints/step-000123/` with model.safetensors, optimizer.safetensors
// and state.json: written whole into a temporary folder, fsynced and renamed into place (then the
// parent fsynced), so a crash at any moment leaves the previous checkpoints intact and loadable.
import DuetNN
import DuetTensor
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One checkpoint folder.
public struct Checkpoint: Sendable, Equatable {
    public static let modelFileName = "model.safetensors"
    public static let optimizerFileName = "optimizer.safetensors"
    public static let stateFileName = "state.json"
    static let fileNames = [modelFileName, optimizerFileName, stateFileName]

    public let folder: URL

    public init(folder: URL) {
        self.folder = folder.standardizedFileURL
    }

    public var modelFile: URL { folder.appendingPathComponent(Self.modelFileName) }
    public var optimizerFile: URL { folder.appendingPathComponent(Self.optimizerFileName) }
    public var stateFile: URL { folder.appendingPathComponent(Self.stateFileName) }

    /// `step-000123`: six digits, more past a million steps.
    public static func folderName(step: Int) -> String { "step-" + String(format: "%06d", step) }

    /// The step a folder called `name` holds, or nil when the name is not a checkpoint's.
    public static func step(ofFolderName name: String) -> Int? {
        let digits = name.dropFirst(5)
        guard name.hasPrefix("step-"), !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// The first of the checkpoint's files that is missing, or nil when all are there.
    public var missingFile: String? {
        Self.fileNames.first { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }

    public func readState() throws(CheckpointError) -> TrainingState {
        if let missing = missingFile { throw .incomplete(folder: folder.path, missing: missing) }
        return try TrainingState.read(from: stateFile)
    }

    /// The file of a store saved beside the model (`teacher` → teacher.safetensors).
    public func storeFile(_ stem: String) -> URL { folder.appendingPathComponent(stem + ".safetensors") }

    /// Loads the model's values into `store`, name for name (strict).
    public func loadModel(into store: ParameterStore) throws(CheckpointError) {
        try load(modelFile, into: store)
    }

    /// Loads the model into `store` and each store saved beside it into its own (`stores` by
    /// stem, as an objective's `checkpointedStores` names them), in stem order.
    public func loadModel(into store: ParameterStore, besideStores stores: [String: ParameterStore]) throws(CheckpointError) {
        try loadModel(into: store)
        for (stem, saved) in stores.sorted(by: { $0.key < $1.key }) {
            try loadStore(stem, into: saved)
        }
    }

    /// Loads the store saved as `stem` (an objective's EMA teacher) into `store`, name for name.
    public func loadStore(_ stem: String, into store: ParameterStore) throws(CheckpointError) {
        let file = storeFile(stem)
        guard FileManager.default.fileExists(atPath: file.path) else { throw .incomplete(folder: folder.path, missing: file.lastPathComponent) }
        try load(file, into: store)
    }

    private func load(_ file: URL, into store: ParameterStore) throws(CheckpointError) {
        do {
            try store.load(from: file)
        } catch {
            switch error {
            case .file(let fileError): throw .corrupt(file: fileError.file, reason: "\(fileError)")
            case .mismatch(let file, let report): throw .mismatch(file: file, reason: report.description)
            }
        }
    }

    /// Loads the optimizer's state and step count; `name` must be the optimizer that wrote them.
    public func loadOptimizer(into optimizer: any Optimizer, name: String) throws(CheckpointError) {
        let path = optimizerFile.path
        var state: [String: Tensor] = [:]
        let stepCount: Int64
        do {
            let file = try SafeTensorsFile.read(contentsOf: optimizerFile)
            let saved = file.metadata["optimizer"] ?? "?"
            guard saved == name else {
                throw CheckpointError.mismatch(file: path, reason: "written by \(saved), this run uses \(name) (optim.name)")
            }
            guard let count = try file.entry("step").int64s().first else {
                throw CheckpointError.corrupt(file: path, reason: "the step count is empty")
            }
            stepCount = count
            for name in file.names where name != "step" { state[name] = try file.tensor(name) }
        } catch let error as CheckpointError {
            throw error
        } catch let error as SafeTensorsError {
            throw .corrupt(file: path, reason: "\(error)")
        } catch {
            throw .corrupt(file: path, reason: "\(error)")
        }
        do {
            try optimizer.load(state: state, stepCount: Int(stepCount))
        } catch {
            throw .mismatch(file: path, reason: error.description)
        }
    }
}

/// A run's `checkpoints` folder: writes checkpoints, keeps the last N, finds the latest.
public struct CheckpointFolder: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// The complete checkpoints (every file present), oldest first. Temporary folders of a write
    /// that did not finish (`.tmp-…`) are not checkpoints.
    public func checkpoints() -> [(step: Int, checkpoint: Checkpoint)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.compactMap { name in
            guard let step = Checkpoint.step(ofFolderName: name) else { return nil }
            let checkpoint = Checkpoint(folder: url.appendingPathComponent(name, isDirectory: true))
            return checkpoint.missingFile == nil ? (step, checkpoint) : nil
        }.sorted { $0.step < $1.step }
    }

    /// The complete checkpoint of the highest step, or nil.
    public func latest() -> Checkpoint? { checkpoints().last?.checkpoint }

    /// `latest`, a checkpoint folder, or a run folder (its latest checkpoint).
    public static func resolve(_ spec: String, runFolder: URL?) throws(CheckpointError) -> Checkpoint {
        if spec == "latest" {
            guard let runFolder else { throw .noCheckpoint(folder: "(no run folder given)") }
            let folder = RunFolder(url: runFolder).checkpoints
            guard let latest = folder.latest() else { throw .noCheckpoint(folder: folder.url.path) }
            return latest
        }
        let url = URL(fileURLWithPath: spec)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .io(path: spec, reason: "no such checkpoint folder")
        }
        let checkpoint = Checkpoint(folder: url)
        if checkpoint.missingFile != nil, FileManager.default.fileExists(atPath: url.appendingPathComponent("checkpoints").path) {
            let folder = RunFolder(url: url).checkpoints
            guard let latest = folder.latest() else { throw .noCheckpoint(folder: folder.url.path) }
            return latest
        }
        if let missing = checkpoint.missingFile { throw .incomplete(folder: checkpoint.folder.path, missing: missing) }
        return checkpoint
    }

    /// Writes the checkpoint of `state.step` and deletes all but the newest `keep` (and any
    /// temporary folder a crashed write left). A checkpoint of the same step is replaced.
    @discardableResult
    public func write(model store: ParameterStore, optimizer: any Optimizer, state: TrainingState,
                      stores: [String: ParameterStore] = [:], keep: Int) throws(CheckpointError) -> Checkpoint {
        let fm = FileManager.default
        let name = Checkpoint.folderName(step: state.step)
        let final = url.appendingPathComponent(name, isDirectory: true)
        let temporary = url.appendingPathComponent(".tmp-\(name)-\(getpid())", isDirectory: true)
        let checkpoint = Checkpoint(folder: temporary)
        try io(url.path, "cannot create the checkpoints folder") { try fm.createDirectory(at: url, withIntermediateDirectories: true) }
        try? fm.removeItem(at: temporary)
        try io(temporary.path, "cannot create") { try fm.createDirectory(at: temporary, withIntermediateDirectories: false) }
        do {
            try store.save(to: checkpoint.modelFile, metadata: ["step": String(state.step)])
            for (stem, other) in stores.sorted(by: { $0.key < $1.key }) {
                try other.save(to: checkpoint.storeFile(stem), metadata: ["step": String(state.step)])
            }
            try SafeTensorsWriter.write(optimizer.state, int64s: ["step": ([Int64(optimizer.stepCount)], shape: [])],
                                        metadata: ["optimizer": state.optimizer], to: checkpoint.optimizerFile)
        } catch let error as WeightsError {
            throw .io(path: temporary.path, reason: error.description)
        } catch {
            throw .io(path: temporary.path, reason: "\(error)")
        }
        try io(checkpoint.stateFile.path, "cannot write") { try state.encoded().write(to: checkpoint.stateFile) }
        try sync(checkpoint.stateFile.path)
        try sync(temporary.path)
        // rename(2) cannot replace a non-empty folder: move an old one of this step aside first.
        let replaced = url.appendingPathComponent(".old-\(name)-\(getpid())", isDirectory: true)
        if fm.fileExists(atPath: final.path) {
            try renameItem(final.path, replaced.path)
        }
        try renameItem(temporary.path, final.path)
        try sync(url.path)
        try? fm.removeItem(at: replaced)
        prune(keep: keep)
        return Checkpoint(folder: final)
    }

    /// Deletes all complete checkpoints but the newest `keep`, and leftovers of crashed writes.
    func prune(keep: Int) {
        let fm = FileManager.default
        for (_, old) in checkpoints().dropLast(max(keep, 1)) { try? fm.removeItem(at: old.folder) }
        for name in (try? fm.contentsOfDirectory(atPath: url.path)) ?? [] where name.hasPrefix(".tmp-step-") || name.hasPrefix(".old-step-") {
            try? fm.removeItem(at: url.appendingPathComponent(name))
        }
    }

    private func io(_ path: String, _ what: String, _ body: () throws -> Void) throws(CheckpointError) {
        do { try body() } catch { throw .io(path: path, reason: "\(what): \(error.localizedDescription)") }
    }

    private func renameItem(_ from: String, _ to: String) throws(CheckpointError) {
        guard rename(from, to) == 0 else {
            throw .io(path: from, reason: "cannot rename to \(to): \(String(cString: strerror(errno)))")
        }
    }
}

/// fsync(2) of a file or a folder (a folder's entries: the rename that made a checkpoint).
func sync(_ path: String) throws(CheckpointError) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw .io(path: path, reason: "cannot open to sync: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw .io(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
}
