// What the audio-visual objectives share when reading a batch: the modality's tensor, checked
// against the shape the tower's token grid was built for, and a clock for step-time shares.
import DuetModels
import DuetTensor
import Foundation

extension TokenGrid {
    /// The input shape a tower over this grid reads: [B, C, H, W] or [B, C, T, H, W].
    public func inputShape(batch: Int) -> [Int] {
        switch self {
        case let .image(c, h, w, _): return [batch, c, h, w]
        case let .video(c, t, h, w, _, _): return [batch, c, t, h, w]
        }
    }
}

extension ObjectiveBatch {
    /// The batch's `modality`, checked against `grid`; a typed error names what is wrong.
    func input(_ modality: Modality, grid: TokenGrid, objective: String) throws(ObjectiveError) -> Tensor {
        try input(modality, sampleShape: Array(grid.inputShape(batch: 1).dropFirst()), objective: objective)
    }

    /// The batch's `modality`, checked against the shape of one sample.
    func input(_ modality: Modality, sampleShape: [Int], objective: String) throws(ObjectiveError) -> Tensor {
        guard let x = modality == .audio ? audio : video else {
            throw .missingModality(objective: objective, modality: modality.rawValue)
        }
        let expected = [x.shape[0]] + sampleShape
        guard x.shape == expected else {
            throw .shapeMismatch(objective: objective, what: modality.rawValue, expected: expected, got: x.shape)
        }
        return x
    }
}

/// Milliseconds spent in named parts of a forward pass, reported as metrics (`time_ms.teacher`…)
/// so a run's metrics.jsonl shows where a step goes.
struct PartTimer {
    private(set) var milliseconds: [String: Double] = [:]

    mutating func time<T>(_ part: String, _ body: () throws(ObjectiveError) -> T) throws(ObjectiveError) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        milliseconds["time_ms." + part, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return result
    }
}
