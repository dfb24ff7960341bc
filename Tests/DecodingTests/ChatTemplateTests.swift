import Decoding
import Foundation
import GGUF
import Kernels
import Testing
import Tokenizers
import Transformer

struct ChatTemplateTests {
    /// llama.cpp's standard test conversation.
    static let conversation = [
        ChatMessage(role: "system", content: "You are a helpful assistant"),
        ChatMessage(role: "user", content: "Hello"),
        ChatMessage(role: "assistant", content: "Hi there"),
        ChatMessage(role: "user", content: "Who are you"),
        ChatMessage(role: "assistant", content: "   I am an assistant   "),
        ChatMessage(role: "user", content: "Another question"),
    ]

    /// The conversations `RealChatTemplateCases` renders (same as its generating script).
    static let realConversations: [String: [ChatMessage]] = [
        "standard": conversation,
        "noSystem": [ChatMessage(role: "user", content: "Hello"), ChatMessage(role: "assistant", content: "Hi there"),
                     ChatMessage(role: "user", content: "Who are you")],
        "thoughts": [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "2+2?"),
                     ChatMessage(role: "assistant", content: "<think>\nEasy.\n</think>\n\n4"),
                     ChatMessage(role: "user", content: "And 3+3?")],
    ]

    @Test("recognizes templates as llama.cpp does and formats them identically",
          arguments: LlamaCppChatTemplateCases.cases.map(\.name))
    func matchesLlamaCpp(name: String) throws {
        let c = LlamaCppChatTemplateCases.cases.first { $0.name == name }!
        let detected = ChatTemplate(jinja: c.jinja)
        guard let expected = c.template else {
            #expect(detected == nil, "\(name) is not a supported family")
            return
        }
        let template = try #require(detected)
        #expect(template == ChatTemplate(name: expected))
        #expect(template.format(Self.conversation, addAssistantPrompt: true) == c.output)
    }

    @Test("recognizes each family's real template and renders what the template renders",
          arguments: RealChatTemplateCases.cases.map(\.model))
    func matchesRealTemplate(model: String) throws {
        let c = RealChatTemplateCases.cases.first { $0.model == model }!
        let template = try #require(ChatTemplate(jinja: c.jinja), "\(model) not recognized")
        let named = try #require(ChatTemplate(name: c.template))
        let rendering = template.thinking(named == .qwen3(thinking: true))
        // A name carries no default system prompt: the real template's is checked by its rendering.
        if case .chatML = rendering { #expect(named == .chatML(defaultSystem: nil)) } else {
            #expect(rendering == named, "\(model) read as \(rendering), not \(named)")
        }
        for (key, expected) in c.outputs {
            let messages = try #require(Self.realConversations[key])
            #expect(rendering.format(messages, addAssistantPrompt: true, today: "26 Jul 2024") == expected,
                    "\(model), conversation \(key)")
        }
    }

    @Test("finds the default system prompt a ChatML template writes")
    func defaultSystemPrompts() throws {
        func defaultSystem(_ model: String) -> String?? {
            let jinja = RealChatTemplateCases.cases.first { $0.model == model }!.jinja
            guard case .chatML(let system)? = ChatTemplate(jinja: jinja) else { return nil }
            return system
        }
        #expect(defaultSystem("SmolLM2-135M-Instruct") == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(defaultSystem("Qwen2-0.5B-Instruct") == "You are a helpful assistant.")
        #expect(defaultSystem("Qwen2.5-7B-Instruct") == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        // OpenHermes writes no system prompt of its own.
        #expect(ChatTemplate(jinja: LlamaCppChatTemplateCases.cases[0].jinja) == .chatML(defaultSystem: nil))
    }

    @Test("Llama 3.1's header shows today's date, as llama.cpp passes it")
    func llama31Date() {
        var components = DateComponents()
        (components.year, components.month, components.day, components.hour) = (2026, 12, 2, 12)
        let date = Calendar.current.date(from: components)!
        #expect(ChatTemplate.today(date) == "02 Dec 2026")
        let text = ChatTemplate.llama31.format([ChatMessage(role: "user", content: "Hi")], addAssistantPrompt: true, today: "02 Dec 2026")
        #expect(text.hasPrefix("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 02 Dec 2026\n\n<|eot_id|>"))
    }

    @Test("a file without a template gets its family's, from the turn tokens of its vocabulary")
    func guessesFromVocabulary() {
        func guess(_ tokens: [String]) -> ChatTemplate? { ChatTemplate(guessingFrom: Set(tokens).contains) }
        #expect(guess(["<bos>", "<start_of_turn>", "<end_of_turn>"]) == .gemma)
        #expect(guess(["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]) == .llama3)
        #expect(guess(["<|im_start|>", "<|im_end|>"]) == .chatML(defaultSystem: nil))
        #expect(guess(["<|user|>", "<|assistant|>", "<|end|>"]) == .phi3)
        #expect(guess(["<s>", "</s>"]) == nil)
    }

    @Test("an unknown template is not recognized")
    func unknown() {
        #expect(ChatTemplate(jinja: "{{ messages }}") == nil)
        #expect(ChatTemplate(name: "jinja") == nil)
        for name in ChatTemplate.names { #expect(ChatTemplate(name: name)?.description == name) }
    }

    /// Per family: a vocabulary with the family's special tokens, as its GGUF files have them.
    static let families: [(template: ChatTemplate, specials: [String], eos: String)] = [
        (.chatML(defaultSystem: nil), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], "<|im_end|>"),
        (.qwen3(thinking: false), ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"], "<|im_end|>"),
        (.llama3, ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"], "<|end_of_text|>"),
        (.llama31, ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"], "<|eot_id|>"),
        (.gemma, ["<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"], "<eos>"),
        (.phi3, ["<s>", "<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"], "<|endoftext|>"),
        (.llama2Chat, ["<s>", "</s>"], "</s>"),
        (.zephyr, ["<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"], "</s>"),
    ]

    @Test("each family's end of turn is one token that ends generation", arguments: families.indices)
    func endOfTurnStopsGeneration(family: Int) throws {
        let (template, specials, eos) = Self.families[family]
        // GPT-2's byte characters: printable bytes stand for themselves, the others for U+0100….
        var shifted = 0
        let bytes = (0 ..< 256).map { b -> String in
            if (33 ... 126).contains(b) || (161 ... 172).contains(b) || (174 ... 255).contains(b) {
                return String(UnicodeScalar(UInt8(b)))
            }
            shifted += 1
            return String(UnicodeScalar(UInt32(255 + shifted))!)
        }
        let tokens = bytes + specials
        func strings(_ v: [String]) -> GGUFValue { .array(elementType: .string, v.map { .string($0) }) }
        var writer = GGUFWriter()
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string("gpt-2"))
        writer.set("tokenizer.ggml.tokens", strings(tokens))
        writer.set("tokenizer.ggml.token_type", .array(elementType: .int32, tokens.indices.map { .int32($0 < 256 ? 1 : 3) }))
        writer.set("tokenizer.ggml.merges", strings([]))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(tokens.firstIndex(of: eos)!)))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-chat-\(UUID().uuidString).gguf").path
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tokenizer = try Tokenizer(file: GGUFFile(path: path))

        let endOfTurn = tokenizer.encode(template.endOfTurn, addBOS: false, parseSpecial: true)
        #expect(endOfTurn.count == 1)
        #expect(tokenizer.isEndOfGeneration(endOfTurn[0]), "\(template): \(template.endOfTurn)")
        // In the prompt, every closed turn ends with that one token.
        let prompt = template.format(Self.conversation, addAssistantPrompt: true, today: "26 Jul 2024")
        let ids = tokenizer.encode(prompt, addBOS: false, parseSpecial: true)
        #expect(ids.filter { $0 == endOfTurn[0] }.count == prompt.components(separatedBy: template.endOfTurn).count - 1)
    }

    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Weights")
    static let gemma3 = weights.appendingPathComponent("gemma-3-270m-q4_k_m.gguf").path
    static let smolLM2 = weights.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf").path

    @Test("Gemma 3 270M (no template in the file): Gemma turns, BOS once, <end_of_turn> ends a reply")
    func gemma3File() throws {
        let file = try GGUFFile(path: Self.gemma3)
        #expect(file.metadata["tokenizer.chat_template"] == nil)
        let tokenizer = try Tokenizer(file: file)
        var texts = Set<String>()
        if case .array(_, let values)? = file.metadata["tokenizer.ggml.tokens"] {
            for case .string(let text) in values { texts.insert(text) }
        }
        let template = try #require(ChatTemplate(guessingFrom: texts.contains))
        #expect(template == .gemma)
        let messages = [ChatMessage(role: "system", content: "Answer in French."), ChatMessage(role: "user", content: "Hello!")]
        let prompt = template.format(messages, addAssistantPrompt: true)
        #expect(prompt == "<start_of_turn>user\nAnswer in French.\n\nHello!<end_of_turn>\n<start_of_turn>model\n")
        let ids = tokenizer.encode(prompt, parseSpecial: true)
        let start = try #require(tokenizer.encode("<start_of_turn>", addBOS: false, parseSpecial: true).first)
        let end = try #require(tokenizer.encode("<end_of_turn>", addBOS: false, parseSpecial: true).first)
        #expect(ids.first == tokenizer.bos && ids.filter { $0 == tokenizer.bos }.count == 1)
        #expect(ids[1] == start && ids.filter { $0 == start }.count == 2 && ids.filter { $0 == end }.count == 1)
        #expect(tokenizer.isEndOfGeneration(end))
    }

    @Test("SmolLM2's own template: ChatML with its default system prompt, <|im_end|> ends a reply")
    func smolLM2File() throws {
        let file = try GGUFFile(path: Self.smolLM2)
        let jinja = try #require(file.metadata["tokenizer.chat_template"]?.stringValue)
        #expect(jinja == RealChatTemplateCases.cases.first { $0.model == "SmolLM2-135M-Instruct" }!.jinja)
        let template = try #require(ChatTemplate(jinja: jinja))
        #expect(template == .chatML(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let tokenizer = try Tokenizer(file: file)
        let end = tokenizer.encode("<|im_end|>", addBOS: false, parseSpecial: true)
        #expect(end.count == 1 && tokenizer.isEndOfGeneration(end[0]))
    }

    @Test("a template that rewrites earlier turns keeps the cache up to the change, and answers as from scratch")
    func rewrittenTurnsKeepTheCachedPrefix() throws {
        let file = try GGUFFile(path: Self.smolLM2)
        let model = try Model(file: file, backend: SIMDBackend(threads: 2))
        let tokenizer = try Tokenizer(file: file)
        func generator() throws -> Generator {
            Generator(session: try InferenceSession(model: model, contextLength: 512), tokenizer: tokenizer,
                      sampler: SamplingParameters(temperature: 0).makeChain())
        }
        // Qwen 3's template on SmolLM2: the first reply's empty thought is gone at the second turn.
        let chat = Conversation(generator: try generator(), template: .qwen3(thinking: false),
                                systemPrompt: "You are a helpful assistant.")
        let first = try chat.respond(to: "What is the capital of France?", maxTokens: 6)
        let second = try chat.respond(to: "And of Germany?", maxTokens: 6)
        let full = tokenizer.encode(chat.template.format(Array(chat.messages.dropLast()), addAssistantPrompt: true, today: chat.today),
                                    parseSpecial: true)
        #expect(!first.text.isEmpty)
        // Only the tail from the first reply on was evaluated, and it is the prompt's own tail.
        #expect(second.promptTokens.count < full.count - first.promptTokens.count / 2)
        #expect(Array(full.suffix(second.promptTokens.count)) == second.promptTokens)
        #expect(chat.generator.session.position == full.count + second.evaluatedCount)
        // The same reply as a session that evaluates the whole prompt at once.
        let fresh = try generator().generate(prompt: full, maxTokens: 6)
        #expect(fresh.text == second.text)
    }
}
