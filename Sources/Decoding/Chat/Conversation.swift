import Tokenizers
import Transformer

/// A multi-turn chat that keeps the KV cache between turns: each turn evaluates only the text
/// the template adds since the last one (the previous reply's closing tag and the new user
/// message), as llama.cpp's `llama-cli` does. When the template rewrites earlier turns (Qwen 3
/// drops the thoughts of earlier replies), the cached tokens before the first change are kept.
public final class Conversation {
    public let generator: Generator
    public let template: ChatTemplate
    public private(set) var messages: [ChatMessage] = []
    /// The system prompt every conversation starts with, if any.
    public let systemPrompt: String?
    /// The date Llama 3.1's system header shows, fixed for the conversation (so that a chat
    /// across midnight does not rewrite its first turn).
    public private(set) var today: String = ChatTemplate.today()
    /// The exact text whose tokens are in the KV cache.
    private var cachedText: [UInt8] = []
    /// The tokens in the KV cache (those of `cachedText`).
    private var cachedTokens: [Int] = []

    public init(generator: Generator, template: ChatTemplate, systemPrompt: String? = nil) {
        self.generator = generator
        self.template = template
        self.systemPrompt = systemPrompt
        reset()
    }

    /// Starts over: no messages but the system prompt, empty KV cache.
    public func reset() {
        messages = systemPrompt.map { [ChatMessage(role: "system", content: $0)] } ?? []
        today = ChatTemplate.today()
        cachedText = []
        cachedTokens = []
        generator.session.reset()
        generator.sampler.reset()
    }

    /// Adds the user's message, generates the assistant's reply (streamed to `onText`) and adds it.
    /// On a full context the user's message is withdrawn and the error rethrown.
    public func respond(to user: String, maxTokens: Int = -1, shouldStop: () -> Bool = { false },
                        onText: (String) -> Void = { _ in }) throws(ModelError) -> GenerationResult {
        let tokenizer = generator.tokenizer
        let session = generator.session
        messages.append(ChatMessage(role: "user", content: user))
        let full = Array(template.format(messages, addAssistantPrompt: true, today: today).utf8)
        let prompt: [Int]
        let rewritten: Bool
        if session.position > 0, session.position == cachedTokens.count, full.starts(with: cachedText) {
            prompt = tokenizer.encode(bytes: Array(full[cachedText.count...]), addBOS: false, parseSpecial: true)
            rewritten = false
        } else {
            // The template rewrote earlier text (Qwen 3 drops the thoughts of earlier replies) or
            // this is the first turn: keep the cached tokens the new prompt starts with (their
            // keys and values are the same) and evaluate the rest.
            let all = tokenizer.encode(bytes: full, addBOS: nil, parseSpecial: true)
            var keep = 0
            if session.position == cachedTokens.count {
                while keep < min(all.count - 1, cachedTokens.count) && all[keep] == cachedTokens[keep] { keep += 1 }
            }
            session.truncate(to: keep)
            generator.sampler.reset()
            cachedTokens = Array(all[..<keep])
            cachedText = []
            prompt = Array(all[keep...])
            rewritten = true
        }
        let before = session.position
        let result: GenerationResult
        do {
            result = try generator.generate(prompt: prompt, maxTokens: maxTokens, shouldStop: shouldStop, onText: onText)
        } catch {
            messages.removeLast()
            session.truncate(to: before)
            if rewritten {
                // The cache no longer matches any text kept: start the next turn afresh.
                session.reset()
                cachedTokens = []
            }
            throw error
        }
        messages.append(ChatMessage(role: "assistant", content: result.text))
        let evaluated = Array(result.tokens.prefix(result.evaluatedCount))
        cachedTokens += prompt + evaluated
        cachedText = full + tokenizer.decodeBytes(evaluated)
        return result
    }
}
