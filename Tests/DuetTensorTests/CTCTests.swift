// CTC against finite differences, against a brute-force sum over every alignment, on padded
// frames, and on labels that cannot be aligned (zeroInfinity on and off).
import Foundation
import Testing
import DuetTestSupport
@testable import DuetTensor

/// −log Σ p(path) over every path of `frames` classes that collapses to `labels` (repeats merged,
/// then blanks dropped): what CTC's recursion computes, by enumeration, in Double.
private func bruteForceCTC(_ logits: Tensor, sample b: Int, frames: Int, labels: [Int32], blank: Int) -> Double {
    let batch = logits.shape[1], classes = logits.shape[2]
    let logProbabilities: [[Double]] = (0..<frames).map { t in
        let x = (0..<classes).map { Double(logits.pointer[(t * batch + b) * classes + $0]) }
        let m = x.max()!
        let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
        return x.map { $0 - lse }
    }
    var total = 0.0
    var path = [Int](repeating: 0, count: frames)
    for k in 0..<Int(pow(Double(classes), Double(frames))) {
        var rest = k
        for t in 0..<frames { path[t] = rest % classes; rest /= classes }
        var collapsed: [Int32] = [], previous = -1
        for c in path {
            if c != previous && c != blank { collapsed.append(Int32(c)) }
            previous = c
        }
        if collapsed == labels { total += exp((0..<frames).reduce(0) { $0 + logProbabilities[$1][path[$1]] }) }
    }
    return -log(total)
}

@Suite struct CTCTests {
    @Test(arguments: [0, 2])
    func gradients(blank: Int) {
        let logits = randomInput([6, 2, 4], seed: 31)
        // Sample 1 repeats a label (a blank must sit between) and is two frames short.
        let labels: [Int32] = blank == 0 ? [1, 2, 3, 3] : [1, 0, 3, 3]
        for reduction in [CTCReduction.mean, .sum] {
            checkGradients([logits]) {
                ctcLoss($0[0], targets: labels, inputLengths: [6, 4], targetLengths: [2, 2], blank: blank, reduction: reduction)
            }
        }
    }

    @Test func matchesEveryAlignmentSummed() {
        let logits = randomInput([5, 3, 3], seed: 32, scale: 2, requiresGrad: false)
        let labels: [[Int32]] = [[1, 2], [1, 1], []]
        let frames = [5, 4, 3]
        let targets = labels.flatMap { $0 }
        let lengths = labels.map { Int32($0.count) }
        let perSample = (0..<3).map { bruteForceCTC(logits, sample: $0, frames: frames[$0], labels: labels[$0], blank: 0) }
        let inputLengths = frames.map { Int32($0) }
        expectScalar(ctcLoss(logits, targets: targets, inputLengths: inputLengths, targetLengths: lengths, reduction: .sum),
                     perSample.reduce(0, +), "sum")
        let mean = (0..<3).reduce(0) { $0 + perSample[$1] / Double(max(labels[$1].count, 1)) } / 3
        expectScalar(ctcLoss(logits, targets: targets, inputLengths: inputLengths, targetLengths: lengths), mean, "mean")
    }

    @Test func framesPastTheInputLengthAreIgnored() {
        let logits = randomInput([5, 2, 4], seed: 33)
        let reference = noGrad { ctcLoss(logits, targets: [1, 2, 3], inputLengths: [5, 3], targetLengths: [2, 1]) }
        // Padding may hold anything, NaN included: it is never read.
        for t in 3..<5 { (logits.pointer + (t * 2 + 1) * 4).update(repeating: .nan, count: 4) }
        let loss = ctcLoss(logits, targets: [1, 2, 3], inputLengths: [5, 3], targetLengths: [2, 1])
        #expect(loss.item == reference.item)
        loss.backward()
        for t in 3..<5 { #expect((0..<4).allSatisfy { logits.grad!.pointer[(t * 2 + 1) * 4 + $0] == 0 }) }
        #expect(logits.grad!.scalars.allSatisfy { $0.isFinite })
    }

    @Test func infeasibleAlignments() {
        let logits = randomInput([3, 3, 5], seed: 34)
        // Sample 0 has more labels than frames, sample 1 a repeat that needs a third frame it lacks.
        let targets: [Int32] = [1, 2, 3, 4, 2, 2, 4]
        let inputLengths: [Int32] = [3, 2, 3], targetLengths: [Int32] = [4, 2, 1]
        let infinite = noGrad { ctcLoss(logits, targets: targets, inputLengths: inputLengths, targetLengths: targetLengths) }
        #expect(infinite.item == .infinity)

        let loss = ctcLoss(logits, targets: targets, inputLengths: inputLengths, targetLengths: targetLengths, zeroInfinity: true)
        let feasible = bruteForceCTC(logits, sample: 2, frames: 3, labels: [4], blank: 0)
        expectScalar(loss, feasible / 3, "only sample 2 counts, over the batch of 3")
        loss.backward()
        let grad = logits.grad!
        #expect(grad.scalars.allSatisfy { $0.isFinite })
        for t in 0..<3 {
            for b in 0..<2 { #expect((0..<5).allSatisfy { grad.pointer[(t * 3 + b) * 5 + $0] == 0 }) }
            #expect((0..<5).contains { grad.pointer[(t * 3 + 2) * 5 + $0] != 0 })
        }
    }
}

@Suite struct CTCParityTests {
    @Test func matchesPyTorch() throws {
        // The fixture was made with zero_infinity=True and PyTorch's mean reduction.
        try checkLossParity("loss_ctc", inputs: ["logits"]) { f, t in
            ctcLoss(t[0], targets: try f.int32s("in.targets"), inputLengths: try f.int32s("in.input_lengths"),
                    targetLengths: try f.int32s("in.target_lengths"), blank: Int(f.metadataFloat("blank") ?? 0),
                    zeroInfinity: true)
        }
    }
}
