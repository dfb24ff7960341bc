extension HTMLReport {
    /// The report of one inspected prompt: every layer's heads, the lens's top token at each
    /// block's output, and the residual norms from the embeddings ("emb") to the last block.
    ///
    /// - Parameters:
    ///   - run: what `Inspector.run(prompt:)` measured.
    ///   - model: a line saying which model and file produced it.
    ///   - prompt: the prompt as typed.
    ///   - facts: extra "name: value" lines for the header.
    public init(run: InspectionRun, model: String, prompt: String, facts: [(name: String, value: String)] = []) {
        let lens = run.logitLens(top: 1)   // [L][T][1]
        self.init(model: model, prompt: prompt, tokens: run.tokenLabels, tokenIDs: run.tokens,
                  attention: (0 ..< run.layerCount).map { run.pattern(layer: $0) },
                  lensTokens: lens.map { $0.map { $0.first?.piece ?? "" } },
                  lensProbabilities: lens.map { $0.map { $0.first?.probability ?? 0 } },
                  residualNorms: run.residualNorms(),
                  residualNormLabels: ["emb"] + (0 ..< run.layerCount).map(String.init),
                  facts: facts)
    }
}
