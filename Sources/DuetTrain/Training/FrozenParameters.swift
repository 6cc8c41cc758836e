// `optim.frozen`: parameters kept at their starting values (timm's and Lightning's module
// freezing), as a learning-rate scale of 0 so that the optimizer's arenas, checkpoints and exact
// resume stay what they are; decoupled weight decay, scaled by the same rate, leaves them alone too.
import DuetNN

enum FrozenParameters {
    /// `scales` with every trainable parameter whose name starts with one of `prefixes` set to 0.
    /// A prefix that names no trainable parameter is a config error naming `optim.frozen`.
    static func scales(freezing prefixes: [String], in store: ParameterStore,
                       merging scales: [String: Float]) throws(ConfigError) -> [String: Float] {
        var out = scales
        for prefix in prefixes {
            let matched = store.parameters(under: prefix).filter(\.isTrainable)
            guard !matched.isEmpty else {
                let roots = Set(store.names.map { $0.split(separator: ".").first.map(String.init) ?? $0 }).sorted()
                throw .invalidValue(file: "<config>", line: nil, keyPath: "optim.frozen",
                                    reason: "'\(prefix)' names no trainable parameter of this run (its parameters start with \(roots.joined(separator: ", ")))")
            }
            for parameter in matched { out[parameter.name] = 0 }
        }
        return out
    }
}
