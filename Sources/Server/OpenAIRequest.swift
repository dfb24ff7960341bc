import Decoding
import Foundation
import Grammar
import Tokenizers

/// Which OpenAI endpoint a generation request came through (they differ in prompt and answer shape).
public enum Endpoint: Sendable {
    /// `/v1/chat/completions`: messages in the model's chat template.
    case chat
    /// `/v1/completions`: a raw prompt continued.
    case completion
}

/// A generation request as read from an OpenAI body: the engine's request plus how to answer.
public struct OpenAIRequest: Sendable {
    public var endpoint: Endpoint
    public var generation: GenerationRequest
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the token counts.
    public var includeUsage: Bool
    /// The model name the client gave (answers name the served model anyway).
    public var model: String?
}

/// Reads OpenAI request bodies into `OpenAIRequest`s: every field checked for its type and
/// range, every unsupported one refused by name.
public struct OpenAIRequestReader: Sendable {
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Positions a slot's KV cache holds (a longer prompt is refused).
    public let contextLength: Int
    /// Longest time one request may run.
    public let timeLimit: Duration

    public init(tokenizer: Tokenizer, template: ChatTemplate, contextLength: Int, timeLimit: Duration) {
        self.tokenizer = tokenizer
        self.template = template
        self.contextLength = contextLength
        self.timeLimit = timeLimit
    }

    /// Reads a `/v1/chat/completions` body (`text`: its JSON text, for a schema's key order).
    public func chat(_ body: JSONValue, text: [UInt8]? = nil) throws(APIError) -> OpenAIRequest {
        let f = try RequestFields(body, text: text)
        let messages = try chatMessages(f)
        let text = template.format(messages, addAssistantPrompt: true)
        let prompt = tokenizer.encode(bytes: Array(text.utf8), addBOS: nil, parseSpecial: true)
        try checkLength(prompt, param: "messages")
        var request = try common(f, prompt: prompt)
        request.endpoint = .chat
        if let top = try f.int("top_logprobs", in: 0 ... 20) {
            guard try f.bool("logprobs") == true else {
                throw .invalid("'top_logprobs' needs 'logprobs': true", param: "top_logprobs")
            }
            request.generation.logprobs = top
        } else if try f.bool("logprobs") == true {
            request.generation.logprobs = 0
        }
        return request
    }

    /// Reads a `/v1/completions` body (`text`: its JSON text, for a schema's key order).
    public func completion(_ body: JSONValue, text: [UInt8]? = nil) throws(APIError) -> OpenAIRequest {
        let f = try RequestFields(body, text: text)
        let prompt = try completionPrompt(f)
        try checkLength(prompt, param: "prompt")
        var request = try common(f, prompt: prompt)
        request.endpoint = .completion
        request.generation.logprobs = try f.int("logprobs", in: 0 ... 20)
        if try f.bool("echo") == true { throw .unsupported("echo", "the answer cannot repeat the prompt") }
        if f.value("suffix") != nil { throw .unsupported("suffix", "insertion is not implemented") }
        if let bestOf = try f.int("best_of"), bestOf != 1 { throw .unsupported("best_of", "only 1 is accepted") }
        return request
    }

    // MARK: - Fields both endpoints share

    private func common(_ f: RequestFields, prompt: [Int]) throws(APIError) -> OpenAIRequest {
        let model = try f.string("model")
        if let n = try f.int("n"), n != 1 {
            throw .invalid("'n' must be 1: Loupe generates one choice per request", param: "n")
        }
        if let tools = f.value("tools") {
            guard case .array(let list) = tools else { throw .wrongType("tools", "an array") }
            if !list.isEmpty { throw .unsupported("tools", "Loupe does not call tools") }
        }
        if f.value("functions") != nil { throw .unsupported("functions", "Loupe does not call functions") }

        var p = SamplingParameters(seed: nil)
        if let t = try f.number("temperature", in: 0 ... 100) { p.temperature = Float(t) }
        if let k = try f.int("top_k", in: -1 ... 1_000_000) { p.topK = k }
        if let x = try f.number("top_p", in: 0 ... 1) { p.topP = Float(x) }
        if let x = try f.number("min_p", in: 0 ... 1) { p.minP = Float(x) }
        if let x = try f.number("repeat_penalty", in: 0.000_001 ... 100) { p.repeatPenalty = Float(x) }
        if let n = try f.int("repeat_last_n", in: -1 ... 1_000_000) { p.repeatLastN = n }
        if let x = try f.number("presence_penalty", in: -2 ... 2) { p.presencePenalty = Float(x) }
        if let x = try f.number("frequency_penalty", in: -2 ... 2) { p.frequencyPenalty = Float(x) }
        if let seed = try f.int("seed") {
            // −1 is llama-server's "random"; any other integer seeds the generator (64-bit ones
            // are cut to 32 bits, the generator's width).
            if seed != -1 { p.seed = UInt32(truncatingIfNeeded: seed) }
        }
        p.grammar = try grammar(f)
        if let problem = p.validate() { throw .invalid(problem, param: nil) }

        var maxTokens = -1
        for key in ["max_completion_tokens", "max_tokens", "n_predict"] {
            if let n = try f.int(key, in: -1 ... 1_000_000_000) {
                maxTokens = n
                break
            }
        }

        let stream = try f.bool("stream") ?? false
        var includeUsage = false
        if let options = f.value("stream_options") {
            let o = try RequestFields(options).bool("include_usage")
            includeUsage = o ?? false
        }
        let generation = GenerationRequest(prompt: prompt, sampling: p, maxTokens: maxTokens, stop: try stops(f),
                                           logprobs: nil, deadline: .now + timeLimit)
        return OpenAIRequest(endpoint: .chat, generation: generation, stream: stream, includeUsage: includeUsage, model: model)
    }

    // MARK: - Constrained decoding

    /// The grammar a request asks for, if any: OpenAI's `response_format` (`json_object`, with
    /// llama-server's optional `schema`, or `json_schema` with its `schema`), or llama-server's
    /// `grammar` (GBNF text) and `json_schema` fields. A bad grammar or schema is a 400 naming it.
    private func grammar(_ f: RequestFields) throws(APIError) -> Grammar? {
        // The schema is read again from the body's text when there is one: `value`, a dictionary,
        // has lost the order of its properties, which is the order of the generated fields.
        func schema(_ value: JSONValue, at path: [String]) throws(APIError) -> Grammar {
            let param = path[0]
            do {
                if let text = f.text { return try Grammar(jsonSchemaIn: Data(text), at: path) }
                return try Grammar(jsonSchema: Data(value.serialized.utf8))
            } catch {
                throw .invalid("\(param): \(error)", param: param)
            }
        }
        if let format = f.value("response_format") {
            let fields = try RequestFields(format)
            switch try fields.string("type") {
            case nil, "text": break
            case "json_object":
                if let s = fields.value("schema") { return try schema(s, at: ["response_format", "schema"]) }
                return Grammar.anyJSON
            case "json_schema":
                guard let wrapper = fields.value("json_schema"), let s = try RequestFields(wrapper).value("schema") else {
                    throw .invalid("response_format of type 'json_schema' needs json_schema.schema", param: "response_format")
                }
                return try schema(s, at: ["response_format", "json_schema", "schema"])
            case let type?:
                throw .invalid("response_format type '\(type)' is not one of text, json_object, json_schema", param: "response_format")
            }
        }
        if let s = f.value("json_schema") { return try schema(s, at: ["json_schema"]) }
        if let text = try f.string("grammar"), !text.isEmpty {
            do {
                return try Grammar(gbnf: text)
            } catch {
                throw .invalid("grammar: \(error)", param: "grammar")
            }
        }
        return nil
    }

    // MARK: - Pieces

    private func stops(_ f: RequestFields) throws(APIError) -> [String] {
        guard let v = f.value("stop") else { return [] }
        switch v {
        case .string(let s): return s.isEmpty ? [] : [s]
        case .array(let items):
            guard items.count <= 16 else { throw .invalid("'stop' may hold at most 16 strings", param: "stop") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw .wrongType("stop", "a string or an array of strings") }
                if !s.isEmpty { out.append(s) }
            }
            return out
        default: throw .wrongType("stop", "a string or an array of strings")
        }
    }

    private func chatMessages(_ f: RequestFields) throws(APIError) -> [ChatMessage] {
        guard let v = f.value("messages") else { throw .invalid("'messages' is required", param: "messages") }
        guard case .array(let items) = v else { throw .wrongType("messages", "an array of messages") }
        guard !items.isEmpty else { throw .invalid("'messages' is empty: give at least one message", param: "messages") }
        var messages: [ChatMessage] = []
        for (i, item) in items.enumerated() {
            let param = "messages[\(i)]"
            guard case .object(let m) = item else { throw .wrongType(param, "an object with 'role' and 'content'") }
            guard case .string(var role)? = m["role"] else { throw .wrongType("\(param).role", "a string") }
            if role == "developer" { role = "system" }   // OpenAI's newer name for the system message
            guard ["system", "user", "assistant"].contains(role) else {
                throw .invalid("\(param).role '\(role)' is not supported: use system, user or assistant", param: "\(param).role")
            }
            messages.append(ChatMessage(role: role, content: try content(m["content"], param: "\(param).content", role: role)))
        }
        return messages
    }

    /// A message's content: a string, or text parts (`[{"type": "text", "text": …}]`) joined.
    private func content(_ v: JSONValue?, param: String, role: String) throws(APIError) -> String {
        switch v {
        case .string(let s)?: return s
        case .array(let parts)?:
            var text = ""
            for (j, part) in parts.enumerated() {
                guard case .object(let o) = part, case .string(let type)? = o["type"] else {
                    throw .wrongType("\(param)[\(j)]", "an object with 'type' and 'text'")
                }
                guard type == "text" else {
                    throw .unsupported("\(param)[\(j)].type", "'\(type)' parts are not understood by a text model; send 'text' parts")
                }
                guard case .string(let s)? = o["text"] else { throw .wrongType("\(param)[\(j)].text", "a string") }
                if !text.isEmpty { text += "\n" }
                text += s
            }
            return text
        case nil, .null?:
            if role == "assistant" { return "" }
            throw .invalid("\(param) is required", param: param)
        default:
            throw .wrongType(param, "a string or an array of text parts")
        }
    }

    private func completionPrompt(_ f: RequestFields) throws(APIError) -> [Int] {
        guard var v = f.value("prompt") else { throw .invalid("'prompt' is required", param: "prompt") }
        // A batch of one prompt is that prompt.
        if case .array(let items) = v, items.count == 1, case .string = items[0] { v = items[0] }
        if case .array(let items) = v, items.count == 1, case .array = items[0] { v = items[0] }
        switch v {
        case .string(let text):
            do throws(DecodingError) { return try tokenizer.promptTokens(text, parseSpecial: true) } catch {
                throw .invalid(error.message, param: "prompt")
            }
        case .array(let items):
            guard !items.isEmpty else { throw .invalid("'prompt' is empty", param: "prompt") }
            var ids: [Int] = []
            for item in items {
                guard case .number(let x) = item, x == x.rounded(), abs(x) < 1e9 else {
                    throw .invalid("'prompt' must be a string, an array of token ids, or one of either in an array "
                                   + "(Loupe answers one prompt per request)", param: "prompt")
                }
                let id = Int(x)
                guard (0 ..< tokenizer.vocabularySize).contains(id) else {
                    throw .invalid("token id \(id) in 'prompt' is outside the vocabulary (0..<\(tokenizer.vocabularySize))",
                                   param: "prompt", code: "invalid_token")
                }
                ids.append(id)
            }
            return ids
        default:
            throw .wrongType("prompt", "a string or an array of token ids")
        }
    }

    private func checkLength(_ prompt: [Int], param: String) throws(APIError) {
        guard !prompt.isEmpty else { throw .invalid("the prompt is empty", param: param) }
        guard prompt.count <= contextLength else {
            throw .invalid("the prompt is \(prompt.count) tokens; the context holds \(contextLength) (start the server with a larger -c)",
                           param: param, code: "context_length_exceeded")
        }
    }
}
