import Decoding
import Synchronization

/// What one HTTP request asks the engine to generate, already tokenized and checked.
public struct GenerationRequest: Sendable {
    /// The whole prompt (the slot reuses the part of it already in its KV cache).
    public var prompt: [Int]
    /// The same knobs and sampler chain as `loupe generate`.
    public var sampling: SamplingParameters
    /// Most tokens to generate; −1: until the end of generation or of the context.
    public var maxTokens: Int
    /// Texts that end the answer when generated (not included in it).
    public var stop: [String]
    /// nil: no log-probabilities; n: the chosen token's and the n most likely alternatives'.
    public var logprobs: Int?
    /// Past this instant the answer ends as if `maxTokens` were reached.
    public var deadline: ContinuousClock.Instant

    public init(prompt: [Int], sampling: SamplingParameters, maxTokens: Int = -1, stop: [String] = [],
                logprobs: Int? = nil, deadline: ContinuousClock.Instant = .now + .seconds(600)) {
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stop = stop
        self.logprobs = logprobs
        self.deadline = deadline
    }
}

/// A token's log-probability and its most likely alternatives (for `logprobs`).
public struct TokenLogprob: Sendable {
    public struct Alternative: Sendable {
        public var id: Int
        public var bytes: [UInt8]
        public var logprob: Float
    }

    public var id: Int
    public var bytes: [UInt8]
    public var logprob: Float
    public var top: [Alternative]

    /// The token's text (a token holding part of a UTF-8 character shows U+FFFD).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Why an answer ended, in OpenAI's words.
public enum FinishReason: String, Sendable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `max_tokens`, the context or the time limit.
    case length
}

/// How an answer ended and what it cost.
public struct GenerationSummary: Sendable {
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Prompt tokens found in the slot's KV cache, not evaluated again.
    public var cachedTokens: Int
    public var completionTokens: Int
    public var promptSeconds: Double
    public var generationSeconds: Double
    /// The slot that served the request.
    public var slot: Int
}

/// What the engine sends back while it serves a request.
public enum GenerationEvent: Sendable {
    /// New text (possibly empty, when it is held back because it may begin a stop string) and
    /// the tokens sampled since the last event, with their log-probabilities when asked for.
    case text(String, tokens: [Int], logprobs: [TokenLogprob])
    /// The answer is complete; no event follows.
    case finished(GenerationSummary)
    /// The request failed; no event follows.
    case failed(APIError)
}

/// Set when the client has gone (or the request is withdrawn): the engine frees its slot at
/// the next step.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
