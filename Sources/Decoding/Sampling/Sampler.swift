import Transformer

/// One stage of token selection, as llama.cpp's `llama_sampler`: it transforms the candidates
/// (penalize, rescale, cut) or selects one, and may remember accepted tokens.
public protocol Sampler: AnyObject {
    /// Short name for displays (`top-k 40`).
    var name: String { get }
    /// Transforms the candidates or sets `selected`.
    func apply(_ candidates: inout Candidates)
    /// Told every token that enters the context (prompt and generated), for samplers with memory.
    func accept(_ token: Int)
    /// Told a token the chain itself chose (by default the same as `accept`): the grammar stage
    /// follows only generated text, not the prompt.
    func acceptGenerated(_ token: Int)
    /// Forgets accepted tokens.
    func reset()
}

extension Sampler {
    public func accept(_ token: Int) {}
    public func acceptGenerated(_ token: Int) { accept(token) }
    public func reset() {}
}

/// Samplers applied in order; the last must select a token (greedy or distribution).
///
/// `sample(logits)` runs the chain on a distribution and returns the chosen id; an observer
/// sees the candidates before the first stage and after each one (the REPL shows these).
public final class SamplerChain {
    public let samplers: [any Sampler]
    /// Reused between calls so that sampling allocates nothing per token.
    private var candidates = Candidates([])

    /// Greedy after stages that change nothing: the chain is the argmax of the logits.
    private let isPlainGreedy: Bool

    public init(_ samplers: [any Sampler]) {
        self.samplers = samplers
        isPlainGreedy = samplers.last is Greedy
            && samplers.dropLast().allSatisfy { ($0 as? RepetitionPenalty)?.isDisabled == true }
    }

    /// Runs the chain on `logits` ([V]) and returns the selected token id.
    /// `observe(stage, candidates)` is called with stage "logits" first, then each sampler's name.
    public func sample(_ logits: UnsafeBufferPointer<Float>,
                       observe: ((String, Candidates) -> Void)? = nil) -> Int {
        // Greedy alone needs no candidates: the first largest logit, as `Greedy` picks it.
        // (A server step samples every slot; filling 49 152 candidates each was most of it.)
        if isPlainGreedy && observe == nil && !logits.isEmpty { return firstLargest(logits) }
        candidates.reset(logits: logits)
        observe?("logits", candidates)
        for sampler in samplers {
            sampler.apply(&candidates)
            observe?(sampler.name, candidates)
        }
        if let id = candidates.selectedID { return id }
        // No selecting stage: fall back to the most likely remaining token.
        return candidates.tokens.max { $0.logit < $1.logit }?.id ?? 0
    }

    /// Runs the chain on a session's logits and returns the selected token id.
    public func sample(_ logits: Logits, observe: ((String, Candidates) -> Void)? = nil) -> Int {
        logits.withUnsafeBufferPointer { sample($0, observe: observe) }
    }

    /// Tells every sampler that `token` entered the context.
    public func accept(_ token: Int) {
        for sampler in samplers { sampler.accept(token) }
    }

    /// Tells every sampler that `token`, which the chain chose, entered the context.
    public func acceptGenerated(_ token: Int) {
        for sampler in samplers { sampler.acceptGenerated(token) }
    }

    /// Forgets all accepted tokens.
    public func reset() {
        for sampler in samplers { sampler.reset() }
    }

    /// The chain's stages, for displays: `penalties → top-k 40 → … → distribution (seed 42)`.
    public var description: String { samplers.map(\.name).joined(separator: " → ") }
}
