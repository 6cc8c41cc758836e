// Saving and loading a parameter store as safetensors, name for name with PyTorch's state dict:
// strict by default (every name must line up), or non-strict with a report of what did not.
import DuetTensor
import Foundation

extension ParameterStore {
    /// Every parameter (buffers included) by its state-dict name.
    public func stateDict() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value) })
    }

    /// Writes every parameter to `url` (atomically), with `metadata` in the header.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(WeightsError) {
        do {
            try SafeTensorsWriter.write(stateDict(), metadata: metadata, to: url)
        } catch {
            throw .file(error)
        }
    }

    /// Loads the values of `url` into the parameters of the same names.
    ///
    /// `prefix` is stripped from the file's names first (e.g. "param." or "encoder.");
    /// `rename` maps a file name to a model name (nil drops it). Strict loading throws a
    /// `WeightsError.mismatch` listing every missing, unexpected and mis-shaped name, and changes
    /// nothing; non-strict loading copies what lines up and returns the report.
    @discardableResult
    public func load(from url: URL, strict: Bool = true, prefix: String = "",
                     rename: (String) -> String? = { $0 }) throws(WeightsError) -> WeightsLoadReport {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile.read(contentsOf: url) } catch { throw .file(error) }
        return try load(from: file, strict: strict, prefix: prefix, rename: rename)
    }

    @discardableResult
    public func load(from file: SafeTensorsFile, strict: Bool = true, prefix: String = "",
                     rename: (String) -> String? = { $0 }) throws(WeightsError) -> WeightsLoadReport {
        var report = WeightsLoadReport()
        var matched: [(Parameter, SafeTensorsEntry)] = []
        var seen = Set<String>()
        for fileName in file.names where fileName.hasPrefix(prefix) {
            guard let name = rename(String(fileName.dropFirst(prefix.count))) else { continue }
            let entry: SafeTensorsEntry
            do { entry = try file.entry(fileName) } catch { throw .file(error) }
            guard let p = self[name] else { report.unexpected.append(name); continue }
            seen.insert(name)
            if entry.shape != p.shape {
                report.misshaped.append((name, p.shape, entry.shape))
            } else {
                matched.append((p, entry))
            }
        }
        report.missing = names.filter { !seen.contains($0) }
        if strict && !report.isExact { throw .mismatch(file: file.file, report: report) }
        for (p, entry) in matched {
            let values: Tensor
            do { values = try entry.tensor() } catch { throw .file(error) }
            p.value.pointer.update(from: values.pointer, count: p.count)
            report.loaded.append(p.name)
        }
        return report
    }
}
