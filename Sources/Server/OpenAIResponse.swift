import Tokenizers

/// Builds OpenAI's answer bodies (whole or as stream chunks) from the engine's events.
struct OpenAIResponseBuilder {
    let endpoint: Endpoint
    let id: String
    let created: Int
    let model: String

    init(endpoint: Endpoint, model: String, created: Int) {
        self.endpoint = endpoint
        self.model = model
        self.created = created
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let suffix = String((0 ..< 24).map { _ in letters.randomElement()! })
        id = (endpoint == .chat ? "chatcmpl-" : "cmpl-") + suffix
    }

    private var object: String { endpoint == .chat ? "chat.completion" : "text_completion" }

    /// The whole answer (`stream: false`).
    func complete(text: String, logprobs: [TokenLogprob]?, summary: GenerationSummary) -> JSONValue {
        var choice: [String: JSONValue] = [
            "index": 0,
            "finish_reason": .string(summary.finishReason.rawValue),
            "logprobs": logprobs.map { self.logprobs($0, textOffset: 0) } ?? .null,
        ]
        if endpoint == .chat {
            choice["message"] = ["role": "assistant", "content": .string(text)]
        } else {
            choice["text"] = .string(text)
        }
        return [
            "id": .string(id), "object": .string(object), "created": .int(created), "model": .string(model),
            "system_fingerprint": "loupe",
            "choices": [.object(choice)],
            "usage": usage(summary),
            "timings": timings(summary),
        ]
    }

    /// One stream chunk with new text (the first chat chunk also carries the role).
    func chunk(text: String, logprobs: [TokenLogprob]?, first: Bool, textOffset: Int) -> JSONValue {
        var choice: [String: JSONValue] = [
            "index": 0, "finish_reason": .null,
            "logprobs": logprobs.map { self.logprobs($0, textOffset: textOffset) } ?? .null,
        ]
        if endpoint == .chat {
            choice["delta"] = first ? ["role": "assistant", "content": .string(text)] : ["content": .string(text)]
        } else {
            choice["text"] = .string(text)
        }
        return chunkObject(choices: [.object(choice)], usage: .null)
    }

    /// The stream's last chunk with a choice: no text, the finish reason.
    func finalChunk(_ summary: GenerationSummary) -> JSONValue {
        var choice: [String: JSONValue] = [
            "index": 0, "finish_reason": .string(summary.finishReason.rawValue), "logprobs": .null,
        ]
        if endpoint == .chat { choice["delta"] = [:] } else { choice["text"] = "" }
        var c = chunkObject(choices: [.object(choice)], usage: .null)
        if case .object(var o) = c {
            o["timings"] = timings(summary)
            c = .object(o)
        }
        return c
    }

    /// `stream_options.include_usage`: a chunk with no choices and the token counts.
    func usageChunk(_ summary: GenerationSummary) -> JSONValue {
        chunkObject(choices: [], usage: usage(summary))
    }

    private func chunkObject(choices: [JSONValue], usage: JSONValue) -> JSONValue {
        [
            "id": .string(id), "object": .string(endpoint == .chat ? "chat.completion.chunk" : "text_completion"),
            "created": .int(created), "model": .string(model), "system_fingerprint": "loupe",
            "choices": .array(choices), "usage": usage,
        ]
    }

    private func usage(_ s: GenerationSummary) -> JSONValue {
        [
            "prompt_tokens": .int(s.promptTokens),
            "completion_tokens": .int(s.completionTokens),
            "total_tokens": .int(s.promptTokens + s.completionTokens),
            "prompt_tokens_details": ["cached_tokens": .int(s.cachedTokens)],
        ]
    }

    /// llama-server's `timings` object.
    private func timings(_ s: GenerationSummary) -> JSONValue {
        let evaluated = s.promptTokens - s.cachedTokens
        return [
            "prompt_n": .int(evaluated), "prompt_ms": .number(s.promptSeconds * 1000),
            "prompt_per_second": .number(Double(evaluated) / max(s.promptSeconds, 1e-9)),
            "predicted_n": .int(s.completionTokens), "predicted_ms": .number(s.generationSeconds * 1000),
            "predicted_per_second": .number(Double(s.completionTokens) / max(s.generationSeconds, 1e-9)),
            "cache_n": .int(s.cachedTokens),
        ]
    }

    /// Chat: `{"content": [{token, logprob, bytes, top_logprobs}]}`; completions: the legacy
    /// `{tokens, token_logprobs, top_logprobs, text_offset}`.
    private func logprobs(_ entries: [TokenLogprob], textOffset: Int) -> JSONValue {
        if endpoint == .chat {
            return ["content": .array(entries.map { e in
                [
                    "token": .string(e.text), "logprob": .number(Double(e.logprob)),
                    "bytes": .array(e.bytes.map { .int(Int($0)) }),
                    "top_logprobs": .array(e.top.map { a in
                        [
                            "token": .string(String(decoding: a.bytes, as: UTF8.self)),
                            "logprob": .number(Double(a.logprob)), "bytes": .array(a.bytes.map { .int(Int($0)) }),
                        ]
                    }),
                ]
            })]
        }
        var offsets: [JSONValue] = []
        var offset = textOffset
        for e in entries {
            offsets.append(.int(offset))
            offset += e.text.utf8.count
        }
        return [
            "tokens": .array(entries.map { .string($0.text) }),
            "token_logprobs": .array(entries.map { .number(Double($0.logprob)) }),
            "top_logprobs": .array(entries.map { e -> JSONValue in
                var o: [String: JSONValue] = [:]
                for a in e.top { o[String(decoding: a.bytes, as: UTF8.self)] = .number(Double(a.logprob)) }
                return .object(o)
            }),
            "text_offset": .array(offsets),
        ]
    }
}
