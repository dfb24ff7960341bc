import Tokenizers
import Transformer

/// Why generation stopped.
public enum StopReason: String, Sendable {
    /// The model produced an end-of-generation token (EOS, `<|im_end|>`, `<|eot_id|>`, …).
    case endOfGeneration
    /// `maxTokens` were generated (`-n`).
    case tokenLimit
    /// The KV cache is full (`-c`).
    case contextFull
    /// The caller asked to stop (Ctrl-C).
    case interrupted
}

/// What one call of `Generator.generate` produced and how fast.
public struct GenerationResult: Sendable {
    /// The prompt tokens evaluated by this call.
    public var promptTokens: [Int]
    /// The generated tokens (without the end-of-generation token).
    public var tokens: [Int] = []
    /// Their text.
    public var text = ""
    public var stopReason = StopReason.tokenLimit
    /// How many of `tokens` were fed back through the model (so are in the KV cache).
    public var evaluatedCount = 0
    /// Time spent evaluating the prompt and the generated tokens, in seconds.
    public var promptSeconds: Double = 0
    public var evaluationSeconds: Double = 0

    public var promptTokensPerSecond: Double { Double(promptTokens.count) / max(promptSeconds, 1e-9) }
    public var generationTokensPerSecond: Double { Double(evaluatedCount) / max(evaluationSeconds, 1e-9) }

    /// The timing line llama.cpp prints: `prompt eval: 5 tokens, 812.3 tok/s; eval: 31 tokens, 95.2 tok/s`.
    public var timingSummary: String {
        "prompt eval: \(promptTokens.count) tokens, \(format(promptTokensPerSecond)) tok/s; "
            + "eval: \(evaluatedCount) tokens, \(format(generationTokensPerSecond)) tok/s"
    }

    private func format(_ x: Double) -> String {
        let tenths = (x * 10).rounded() / 10
        return tenths.isFinite ? String(tenths) : "-"
    }
}

/// The decoding loop: evaluate the prompt, then sample a token, print its text, feed it back,
/// until an end-of-generation token, the token limit, a full context or a stop request.
public final class Generator {
    public let session: InferenceSession
    public let tokenizer: Tokenizer
    public var sampler: SamplerChain
    /// Print control tokens (`<|im_end|>`) too, as llama.cpp's `--special`.
    public var showSpecialTokens = false
    /// Sees the candidates before and after each sampler at every step (as `SamplerChain.sample`'s
    /// `observe`): the glass box shows them next to each generated token.
    public var observeSampling: ((String, Candidates) -> Void)?

    public init(session: InferenceSession, tokenizer: Tokenizer, sampler: SamplerChain) {
        self.session = session
        self.tokenizer = tokenizer
        self.sampler = sampler
    }

    /// Appends `prompt` to the session's context and generates up to `maxTokens` tokens
    /// (negative: until the end of generation or of the context).
    /// - Parameters:
    ///   - shouldStop: polled before each token; true ends the reply (`.interrupted`).
    ///   - onText: receives the text as it becomes whole UTF-8 characters.
    public func generate(prompt: [Int], maxTokens: Int, shouldStop: () -> Bool = { false },
                         onText: (String) -> Void = { _ in }) throws(ModelError) -> GenerationResult {
        var result = GenerationResult(promptTokens: prompt)
        let clock = ContinuousClock()
        let promptStart = clock.now
        var logits = try session.evaluate(prompt)
        result.promptSeconds = seconds(clock.now - promptStart)
        for token in prompt { sampler.accept(token) }

        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var evaluation = Duration.zero
        while true {
            if maxTokens >= 0, result.tokens.count >= maxTokens { result.stopReason = .tokenLimit; break }
            if shouldStop() { result.stopReason = .interrupted; break }
            let token = sampler.sample(logits, observe: observeSampling)
            sampler.acceptGenerated(token)
            if tokenizer.isEndOfGeneration(token) { result.stopReason = .endOfGeneration; break }
            result.tokens.append(token)
            let text = text(of: token, &decoder)
            result.text += text
            onText(text)
            if session.position >= session.contextLength { result.stopReason = .contextFull; break }
            let start = clock.now
            logits = try session.evaluate([token])
            evaluation += clock.now - start
            result.evaluatedCount += 1
        }
        let tail = decoder.flush()
        result.text += tail
        onText(tail)
        result.evaluationSeconds = seconds(evaluation)
        return result
    }

    /// The text `token` completes; control tokens are shown only with `showSpecialTokens`.
    private func text(of token: Int, _ decoder: inout StreamingDecoder) -> String {
        if showSpecialTokens, tokenizer.pieceBytes(token, special: false).isEmpty {
            return decoder.flush() + tokenizer.piece(token, special: true)
        }
        return decoder.append(token)
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
