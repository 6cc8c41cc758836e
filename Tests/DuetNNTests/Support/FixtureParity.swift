// Parity through a module's parameter store: a reference fixture's `param.*` and `buffer.*` loaded
// by state-dict name, then its output, input gradients and parameter gradients checked.
import Testing
import DuetTensor
import DuetTestSupport
import DuetNN

/// The fixtures README's tolerances for PyTorch's CPU kernels against float64.
let forwardTolerance = 1e-5
let gradientTolerance = 1e-4

extension Fixture {
    /// Copies every `param.<name>` and `buffer.<name>` into the store's parameter `<name>`
    /// (non-strict: the store may hold more, e.g. `num_batches_tracked`, which the fixtures omit)
    /// and returns the names filled. A fixture name the store lacks, or a shape that differs, throws.
    @discardableResult
    func loadParameters(into store: ParameterStore) throws -> Set<String> {
        var filled: Set<String> = []
        for prefix in ["param.", "buffer."] {
            let report = try store.load(from: safeTensorsFile, strict: false, prefix: prefix)
            guard report.unexpected.isEmpty && report.misshaped.isEmpty else {
                throw WeightsError.mismatch(file: name, report: report)
            }
            filled.formUnion(report.loaded)
        }
        return filled
    }

    /// Checks `output` against `out.y`, back-propagates `upstream.y` (the gradients of
    /// sum(upstream.y · y)), then checks `grad.<input>` for each input and every
    /// `grad.param.<name>` against the store's gradient of `<name>`.
    func expectParity(_ output: Tensor, inputs: [String: Tensor], store: ParameterStore,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        expectClose(output, try tensor("out.y"), tolerance: forwardTolerance, "\(name) out.y", sourceLocation: sourceLocation)
        output.backward(try tensor("upstream.y").reshaped(output.shape))
        let parameterKeys = keys(prefix: "grad.param.")
        let gradients = inputs.sorted { $0.key < $1.key }.map { ("grad." + $0.key, $0.value.grad) }
            + parameterKeys.map { ($0, store[String($0.dropFirst("grad.param.".count))]?.gradient) }
        for (key, gradient) in gradients {
            guard let gradient else {
                Issue.record("\(name): no gradient for \(key)", sourceLocation: sourceLocation)
                continue
            }
            expectClose(gradient, try tensor(key), tolerance: gradientTolerance, "\(name) \(key)", sourceLocation: sourceLocation)
        }
    }
}
