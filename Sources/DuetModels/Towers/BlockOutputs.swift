// A transformer stack run while keeping what each block's feed-forward branch returned (before
// its residual add): data2vec 2.0's targets (fairseq's AltBlock with ffn_targets, the default
// end_of_block_targets = False).
import DuetNN
import DuetTensor

extension Block {
    /// The block's output and its MLP branch's output (after LayerScale, before the residual).
    public func callAsFunctionKeepingFFN(_ x: Tensor, context: ForwardContext) -> (output: Tensor, ffn: Tensor) {
        var branch = attn(norm1(x))
        if let ls1 { branch = ls1(branch) }
        let x1 = x + dropPathIfTraining(branch, context, "attn")
        var ffn = mlp(norm2(x1))
        if let ls2 { ffn = ls2(ffn) }
        return (x1 + dropPathIfTraining(ffn, context, "mlp"), ffn)
    }

    private func dropPathIfTraining(_ branch: Tensor, _ context: ForwardContext, _ which: String) -> Tensor {
        guard context.isTraining, dropPath > 0 else { return branch }
        return branch.dropPath(dropPath, stream: context.stream(for: path + "." + which))
    }
}

extension TransformerEncoder {
    /// The stack's output (final norm applied) and every block's FFN output, first block first.
    public func callAsFunctionKeepingFFN(_ x: Tensor, context: ForwardContext) -> (output: Tensor, ffn: [Tensor]) {
        var h = x
        var ffn: [Tensor] = []
        for block in blocks {
            let out = block.callAsFunctionKeepingFFN(h, context: context)
            h = out.output
            ffn.append(out.ffn)
        }
        return (norm.map { $0(h) } ?? h, ffn)
    }
}
