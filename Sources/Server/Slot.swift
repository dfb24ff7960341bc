#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Decoding
import Grammar
import Tokenizers
import Transformer

/// One of the server's `--parallel` places where a request is generated: its own KV cache
/// (an `InferenceSession`), and while it serves a request, the decoding state of that request.
///
/// The steps are those of `Generator.generate` (evaluate the prompt; then sample, check for
/// the end, feed the token back) cut apart, so that the engine can interleave the slots and
/// decode their new tokens together in one batch.
final class Slot {
    let index: Int
    let session: InferenceSession
    /// The tokens whose keys and values are in the session's cache, in order. A new request
    /// keeps the longest common prefix with these and evaluates only the rest of its prompt.
    var cached: [Int] = []
    /// When the slot last finished a request (to hand a new request the least recently used slot).
    var lastUsed: UInt64 = 0

    // MARK: State of the request being served

    private(set) var job: Job?
    /// Prompt tokens still to evaluate.
    private var pendingPrompt: ArraySlice<Int> = []
    private var sampler = SamplerChain([])
    private var decoder: StreamingDecoder
    private var generated = 0
    /// The answer's text so far (after stop-string truncation), as UTF-8.
    private var text: [UInt8] = []
    /// How many bytes of `text` were sent.
    private var sent = 0
    private var unsentTokens: [Int] = []
    private var unsentLogprobs: [TokenLogprob] = []
    /// The sampled token to feed back in the next decode step.
    private(set) var nextToken: Int?
    /// The logits of the last token fed, copied out of the session.   [V]
    private var logits: [Float] = []
    /// True when `logits` are ready to be sampled from.
    private var hasLogits = false
    /// The logits at the end of the last prompt this slot evaluated, and the cache length they
    /// belong to: the same prompt asked again (a retry, a room of students asking the same
    /// question) samples from them instead of evaluating its last token again, so it gets
    /// exactly the same answer as the first time.
    private var promptLogits: [Float] = []
    private var promptLogitsPosition = -1
    /// True once a stop string ended the text.
    private var hitStop = false
    private var cachedAtStart = 0
    private let clock = ContinuousClock()
    private var promptTime = Duration.zero
    private var generationTime = Duration.zero
    private var startedGeneration: ContinuousClock.Instant?

    /// The vocabulary as byte strings for the grammar stage, shared by every slot (made on the
    /// first constrained request: it takes a few tenths of a second).
    private let grammarVocabulary: () -> GrammarVocabulary

    init(index: Int, session: InferenceSession, tokenizer: Tokenizer, grammarVocabulary: @escaping () -> GrammarVocabulary) {
        self.index = index
        self.session = session
        self.grammarVocabulary = grammarVocabulary
        decoder = StreamingDecoder(tokenizer: tokenizer)
    }

    var isFree: Bool { job == nil }
    var isPrefilling: Bool { job != nil && !pendingPrompt.isEmpty }
    var tokenizer: Tokenizer { decoder.tokenizer }

    /// Length of the common prefix of the cached tokens and `prompt`.
    func reusableLength(_ prompt: [Int]) -> Int {
        var n = 0
        while n < cached.count, n < prompt.count, cached[n] == prompt[n] { n += 1 }
        return n
    }

    /// Takes `job`: keeps the cached prefix it shares (at least one prompt token is evaluated
    /// again, to have logits to sample from) and schedules the rest of its prompt.
    func start(_ job: Job) {
        let prompt = job.request.prompt
        let reusable = reusableLength(prompt)
        let whole = reusable == prompt.count && promptLogitsPosition == prompt.count
        let keep = whole ? prompt.count : min(reusable, prompt.count - 1)
        session.truncate(to: keep)
        cached.removeLast(cached.count - keep)
        // The saved logits belong to cache positions that are about to be rewritten.
        if keep < promptLogitsPosition { promptLogitsPosition = -1 }
        pendingPrompt = prompt[keep...]
        cachedAtStart = keep
        sampler = job.request.sampling.grammar == nil ? job.request.sampling.makeChain()
            : job.request.sampling.makeChain(vocabulary: grammarVocabulary())
        for token in prompt { sampler.accept(token) }
        decoder = StreamingDecoder(tokenizer: decoder.tokenizer)
        generated = 0
        text = []
        sent = 0
        unsentTokens = []
        unsentLogprobs = []
        nextToken = nil
        hasLogits = false
        if whole {
            logits = promptLogits
            hasLogits = true
        }
        hitStop = false
        promptTime = .zero
        generationTime = .zero
        startedGeneration = nil
        self.job = job
    }

    /// Evaluates the next chunk of the prompt (at most one forward pass of `batchSize` tokens,
    /// so that a long prompt does not stall the other slots for long).
    func prefillStep() throws(ModelError) {
        let chunk = nextPromptChunk
        let start = clock.now
        let out = try session.evaluate(Array(chunk))
        didPrefill(chunk.count, logits: out, seconds: clock.now - start)
    }

    /// The part of the prompt the next prefill step evaluates (at most a batch of the session).
    var nextPromptChunk: ArraySlice<Int> { pendingPrompt.prefix(session.batchSize) }

    /// Called after `nextPromptChunk`'s first `count` tokens were evaluated (by `prefillStep`
    /// or with other slots' tokens): `logits` are those of its last token.
    func didPrefill(_ count: Int, logits out: Logits, seconds: Duration) {
        promptTime += seconds
        cached += pendingPrompt.prefix(count)
        pendingPrompt = pendingPrompt.dropFirst(count)
        if pendingPrompt.isEmpty {
            store(out)
            promptLogits = logits
            promptLogitsPosition = session.position
        }
    }

    /// One step of `Generator.generate` after the logits are ready: checks the limits, samples
    /// a token and decides whether the answer goes on. Returns the finish reason when it ends;
    /// else `nextToken` is set, to be fed back by the decode step.
    func sampleStep() -> FinishReason? {
        guard let job, hasLogits else { return nil }
        let request = job.request
        hasLogits = false
        if request.maxTokens >= 0, generated >= request.maxTokens { return .length }
        if clock.now >= request.deadline { return .length }
        let token = logits.withUnsafeBufferPointer { sampler.sample($0) }
        sampler.acceptGenerated(token)
        if let n = request.logprobs {
            unsentLogprobs.append(logits.withUnsafeBufferPointer { logprob(of: token, top: n, $0) })
        }
        if tokenizer.isEndOfGeneration(token) { return .stop }
        generated += 1
        unsentTokens.append(token)
        let before = text.count
        text += decoder.append(token).utf8
        if truncateAtStop(searchingFrom: before, stops: request.stop) { return .stop }
        // The last token allowed ends the answer now: feeding it back would compute logits
        // that nothing reads (a whole decode step for the slot).
        if request.maxTokens >= 0, generated >= request.maxTokens { return .length }
        if session.position >= session.contextLength { return .length }
        nextToken = token
        return nil
    }

    /// Called after the decode step fed `nextToken`: the logits are ready again.
    func didDecode(_ logits: Logits, seconds: Duration) {
        if let token = nextToken { cached.append(token) }
        nextToken = nil
        generationTime += seconds
        store(logits)
    }

    /// Copies the session's logits (overwritten by its next evaluation) to sample from.
    private func store(_ out: Logits) {
        logits.removeAll(keepingCapacity: true)
        logits.append(contentsOf: out)
        hasLogits = true
    }

    /// The text that is safe to send (not a possible start of a stop string) and the tokens
    /// sampled since the last event; nil when there is nothing new.
    func takeEvent() -> GenerationEvent? {
        let stops = job?.request.stop ?? []
        let safe = text.count - heldBack(stops)
        guard safe > sent || !unsentTokens.isEmpty || !unsentLogprobs.isEmpty else { return nil }
        let piece = safe > sent ? String(decoding: text[sent ..< safe], as: UTF8.self) : ""
        sent = max(sent, safe)
        defer {
            unsentTokens.removeAll()
            unsentLogprobs.removeAll()
        }
        return .text(piece, tokens: unsentTokens, logprobs: unsentLogprobs)
    }

    /// Ends the request: sends the rest of the text and the summary, and frees the slot.
    func finish(_ reason: FinishReason, sequence: UInt64) {
        guard let job else { return }
        if !hitStop { text += decoder.flush().utf8 }
        let rest = text.count > sent ? String(decoding: text[sent...], as: UTF8.self) : ""
        if !rest.isEmpty || !unsentTokens.isEmpty || !unsentLogprobs.isEmpty {
            job.send(.text(rest, tokens: unsentTokens, logprobs: unsentLogprobs))
        }
        job.send(.finished(summary(reason)))
        job.close()
        release(sequence: sequence)
    }

    /// Ends the request with an error (the cache is forgotten: it may be half written).
    func fail(_ error: APIError, sequence: UInt64) {
        job?.send(.failed(error))
        job?.close()
        session.reset()
        cached = []
        promptLogitsPosition = -1
        release(sequence: sequence)
    }

    /// Frees the slot without a word (the client has gone).
    func abandon(sequence: UInt64) {
        job?.close()
        // A half-evaluated prompt is still a valid prefix: `cached` matches the cache.
        release(sequence: sequence)
    }

    private func release(sequence: UInt64) {
        job = nil
        pendingPrompt = []
        nextToken = nil
        hasLogits = false
        lastUsed = sequence
    }

    func summary(_ reason: FinishReason) -> GenerationSummary {
        GenerationSummary(finishReason: reason, promptTokens: job?.request.prompt.count ?? 0,
                          cachedTokens: cachedAtStart, completionTokens: generated,
                          promptSeconds: promptTime.seconds, generationSeconds: generationTime.seconds, slot: index)
    }

    // MARK: - Stop strings

    /// Cuts the text at the first stop string found in what was added since `from`; true if one was.
    private func truncateAtStop(searchingFrom from: Int, stops: [String]) -> Bool {
        var earliest: Int?
        for stop in stops {
            let s = Array(stop.utf8)
            guard !s.isEmpty, text.count >= s.count else { continue }
            var i = max(0, from - s.count + 1)
            while i + s.count <= text.count {
                if text[i] == s[0], text[i ..< i + s.count].elementsEqual(s) {
                    earliest = min(earliest ?? i, i)
                    break
                }
                i += 1
            }
        }
        guard let cut = earliest else { return false }
        text.removeLast(text.count - cut)
        hitStop = true
        return true
    }

    /// Bytes at the end of the text that may be the beginning of a stop string (held back
    /// until the next tokens tell).
    private func heldBack(_ stops: [String]) -> Int {
        var longest = 0
        for stop in stops {
            let s = Array(stop.utf8)
            var k = min(s.count - 1, text.count)
            while k > longest {
                if text[(text.count - k)...].elementsEqual(s[..<k]) { longest = k; break }
                k -= 1
            }
        }
        return longest
    }

    // MARK: - Log-probabilities

    /// log softmax of the model's logits (before the samplers change them, as llama-server)
    /// for `token` and the `n` most likely tokens.
    private func logprob(of token: Int, top n: Int, _ logits: UnsafeBufferPointer<Float>) -> TokenLogprob {
        var maxLogit = -Float.infinity
        for x in logits where x > maxLogit { maxLogit = x }
        var sum: Double = 0
        for x in logits { sum += Double(expf(x - maxLogit)) }
        let logZ = maxLogit + Float(log(sum))
        var best: [(id: Int, logit: Float)] = []
        if n > 0 {
            best.reserveCapacity(n + 1)
            for (id, x) in logits.enumerated() {
                if best.count == n, let last = best.last, !(x > last.logit) { continue }
                var i = best.count
                while i > 0, x > best[i - 1].logit { i -= 1 }
                best.insert((id, x), at: i)
                if best.count > n { best.removeLast() }
            }
        }
        return TokenLogprob(
            id: token, bytes: tokenizer.pieceBytes(token, special: true), logprob: logits[token] - logZ,
            top: best.map { .init(id: $0.id, bytes: tokenizer.pieceBytes($0.id, special: true), logprob: $0.logit - logZ) })
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
