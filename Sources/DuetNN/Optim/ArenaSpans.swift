// How the fused optimizer, clipping and EMA loops see a store: runs of neighbouring parameters
// that share one rule, so a loop over the arena branches once per run, never per element.
import DuetTensor

/// A run [offset, offset + count) of the arenas whose parameters share `rule`.
struct ArenaSpan<Rule: Equatable> {
    var offset: Int
    var count: Int
    var rule: Rule
}

/// The parameters a loop touches, as spans laid end to end in a "work" index (frozen parameters
/// and buffers simply have no span), so the work splits evenly over threads whatever the rules.
struct ArenaSpans<Rule: Equatable> {
    private(set) var spans: [ArenaSpan<Rule>] = []
    /// Where each span starts in the work index.
    private var starts: [Int] = []
    /// Elements over all spans.
    private(set) var total = 0

    /// Parameters for which `rule` is nil are left out; neighbours with equal rules merge.
    init(_ parameters: [Parameter], rule: (Parameter) -> Rule?) {
        for p in parameters {
            guard p.count > 0, let r = rule(p) else { continue }
            if let last = spans.last, last.rule == r, last.offset + last.count == p.offset {
                spans[spans.count - 1].count += p.count
            } else {
                starts.append(total)
                spans.append(ArenaSpan(offset: p.offset, count: p.count, rule: r))
            }
            total += p.count
        }
    }

    /// Calls `body(rule, arenaRange)` for each piece of a span inside `work` (a range of the work index).
    func forEach(work: Range<Int>, _ body: (Rule, Range<Int>) -> Void) {
        var s = spanIndex(containing: work.lowerBound)
        var position = work.lowerBound
        while position < work.upperBound {
            let start = starts[s], span = spans[s]
            let end = Swift.min(work.upperBound, start + span.count)
            let lo = span.offset + (position - start)
            body(span.rule, lo..<(lo + end - position))
            position = end
            s += 1
        }
    }

    /// `forEach` over all the work, split into contiguous shares over the kernel threads.
    func parallelForEach(_ body: (Rule, Range<Int>) -> Void) {
        parallelFor(total, grain: 1 << 15) { work in forEach(work: work, body) }
    }

    /// The last span starting at or before `work`.
    private func spanIndex(containing work: Int) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= work { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

/// Spans over a store's parameters that follow the trainable flags: rebuilt when a parameter was
/// frozen or unfrozen since (a check over the flags, no allocation when nothing changed).
struct TrainableSpans<Rule: Equatable> {
    let parameters: [Parameter]
    private let rule: (Parameter) -> Rule?
    private var flags: [Bool]
    private(set) var spans: ArenaSpans<Rule>

    init(_ store: ParameterStore, rule: @escaping (Parameter) -> Rule?) {
        parameters = store.parameters
        self.rule = rule
        flags = parameters.map(\.isTrainable)
        spans = ArenaSpans(parameters, rule: rule)
    }

    /// The spans for the flags as they are now.
    mutating func current() -> ArenaSpans<Rule> {
        if parameters.indices.contains(where: { parameters[$0].isTrainable != flags[$0] }) {
            flags = parameters.map(\.isTrainable)
            spans = ArenaSpans(parameters, rule: rule)
        }
        return spans
    }
}
