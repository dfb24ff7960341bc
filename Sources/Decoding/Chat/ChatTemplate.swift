import Foundation

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user` or `assistant`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// How a model expects a conversation to be laid out, for the templates Loupe recognizes.
///
/// Models ship a Jinja template (`tokenizer.chat_template`); like llama.cpp's
/// `llm_chat_detect_template`, Loupe recognizes the common ones by distinctive substrings and
/// formats them in Swift, with no Jinja engine. For the families Loupe runs (SmolLM2, Qwen 2/2.5/3,
/// Llama 2/3/3.x, Gemma, Phi-3, TinyLlama) the text is the one the model's own template renders,
/// as llama.cpp renders it with its (default) Jinja engine: default system prompts, Llama 3.1's
/// dated system header, Qwen 3's thinking switch. A leading BOS is left to the tokenizer, as
/// llama.cpp removes the one the template writes when the tokenizer adds it.
public enum ChatTemplate: Sendable, Equatable, CustomStringConvertible {
    /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen 2/2.5, …). `defaultSystem` is the
    /// system prompt the template writes when the conversation has none (SmolLM2's "You are a
    /// helpful AI assistant named SmolLM…", Qwen2.5's "You are Qwen, created by Alibaba Cloud…").
    case chatML(defaultSystem: String?)
    /// Qwen 3: ChatML whose earlier replies lose their `<think>…</think>` part. Without
    /// `thinking`, the assistant's turn opens with an empty thought (`<think>\n\n</think>\n\n`),
    /// the template's `enable_thinking=false`, so the model answers directly.
    case qwen3(thinking: Bool)
    /// `[INST] … [/INST]` with the variants llama.cpp distinguishes: `<<SYS>>` system blocks,
    /// BOS inside the history, stripped messages.
    case llama2(systemBlock: Bool, bosInHistory: Bool, strip: Bool)
    /// Meta's Llama 2 chat template: `<s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] reply </s>`.
    case llama2Chat
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (Llama 3).
    case llama3
    /// Llama 3.1–3.3: Llama 3 with a system turn always first, dated:
    /// "Cutting Knowledge Date: December 2023\nToday Date: 02 Dec 2026\n\n" + the system prompt.
    case llama31
    /// `<start_of_turn>user\n…<end_of_turn>\n`, assistant called `model`, system merged into
    /// the first user turn (Gemma 1–3).
    case gemma
    /// `<|role|>\ncontent<|end|>\n` (Phi-3, Phi-3.5).
    case phi3
    /// `<|role|>\ncontent</s>\n` (Zephyr, TinyLlama).
    case zephyr

    public var description: String {
        switch self {
        case .chatML: "chatml"
        case .qwen3(let thinking): thinking ? "qwen3-think" : "qwen3"
        case .llama2(let sys, let bos, let strip):
            "llama2" + (sys ? "-sys" : "") + (bos ? "-bos" : "") + (strip ? "-strip" : "")
        case .llama2Chat: "llama2-chat"
        case .llama3: "llama3"
        case .llama31: "llama3.1"
        case .gemma: "gemma"
        case .phi3: "phi3"
        case .zephyr: "zephyr"
        }
    }

    /// The names `init(name:)` accepts.
    public static let names = ["chatml", "qwen3", "qwen3-think", "llama2", "llama2-sys", "llama2-sys-bos",
                               "llama2-sys-strip", "llama2-chat", "llama3", "llama3.1", "gemma", "phi3", "zephyr"]

    /// The template named `name` (one of `names`). `chatml` has no default system prompt.
    public init?(name: String) {
        switch name.lowercased() {
        case "chatml": self = .chatML(defaultSystem: nil)
        case "qwen3": self = .qwen3(thinking: false)
        case "qwen3-think": self = .qwen3(thinking: true)
        case "llama2": self = .llama2(systemBlock: false, bosInHistory: false, strip: false)
        case "llama2-sys": self = .llama2(systemBlock: true, bosInHistory: false, strip: false)
        case "llama2-sys-bos": self = .llama2(systemBlock: true, bosInHistory: true, strip: false)
        case "llama2-sys-strip": self = .llama2(systemBlock: true, bosInHistory: false, strip: true)
        case "llama2-chat": self = .llama2Chat
        case "llama3": self = .llama3
        case "llama3.1": self = .llama31
        case "gemma": self = .gemma
        case "phi3": self = .phi3
        case "zephyr": self = .zephyr
        default: return nil
        }
    }

    /// Recognizes a Jinja chat template by the substrings llama.cpp looks for, in llama.cpp's
    /// order (so a template llama.cpp would read as another family is not mistaken for one of
    /// these), then tells apart the variants of a family that render differently. Nil when it
    /// is none of the supported families.
    public init?(jinja template: String) {
        func has(_ s: String) -> Bool { template.contains(s) }
        if has("<|im_start|>") {
            // Phi-4 (`<|im_sep|>`) and SmolVLM (`<end_of_utterance>`) differ from ChatML.
            guard !has("<|im_sep|>"), !has("<end_of_utterance>") else { return nil }
            if has("enable_thinking") && has("<think>") {
                self = .qwen3(thinking: false)
            } else {
                self = .chatML(defaultSystem: Self.defaultSystemPrompt(in: template))
            }
        } else if template.hasPrefix("mistral") || has("[INST]") {
            // Mistral's official v1/v3/v7 templates share `[INST]` but lay out system prompts differently.
            let mistral = has("[SYSTEM_PROMPT]") || has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")
            guard !mistral else { return nil }
            if has("bos_token + '[INST] ' + content") && has("<<SYS>>") {
                // Meta's own (Llama 2 chat, Code Llama): a BOS before every `[INST]`, spaces
                // around each reply; llama.cpp's Jinja engine renders it so.
                self = .llama2Chat
            } else if has("content.strip()") {
                self = .llama2(systemBlock: true, bosInHistory: false, strip: true)
            } else if has("bos_token + '[INST]") {
                self = .llama2(systemBlock: true, bosInHistory: true, strip: false)
            } else {
                self = .llama2(systemBlock: has("<<SYS>>"), bosInHistory: false, strip: false)
            }
        } else if has("<|assistant|>") && has("<|end|>") {
            self = .phi3
        } else if has("'<|user|>\n' + message['content'] + eos_token") || has("'<|user|>\\n' + message['content'] + eos_token") {
            // Zephyr's template, which TinyLlama ships. llama.cpp's built-in formats read it as
            // GLM-Edge (`<|user|>` and `<|assistant|>`), its Jinja engine as written: Loupe follows the latter.
            self = .zephyr
        } else if has("[gMASK]<sop>") || (has("<|assistant|>") && has("<|user|>"))
                    || (has("<|user|>") && has("<|endoftext|>")) || has("bos_token + message['role']") {
            return nil   // ChatGLM, GLM-Edge, Falcon 3, StableLM's Zephyr, Monarch
        } else if has("<start_of_turn>") {
            self = .gemma
        } else if has("'\\n\\nAssistant: ' + eos_token") || has("GPT4 Correct ") || (has("USER: ") && has("ASSISTANT: "))
                    || (has("### Instruction:") && has("<|EOT|>")) || has("<|START_OF_TURN_TOKEN|>") {
            return nil   // Orion, OpenChat, Vicuna, DeepSeek Coder, Command R
        } else if has("<|start_header_id|>") && has("<|end_header_id|>") {
            self = has("Cutting Knowledge Date:") ? .llama31 : .llama3
        } else {
            return nil
        }
    }

    /// A guess for a file without a chat template, from the special tokens its vocabulary has
    /// (`hasToken` tells whether a token of that text exists). Base models such as Gemma 3 270M
    /// keep their family's turn tokens though they were not tuned to chat.
    public init?(guessingFrom hasToken: (String) -> Bool) {
        if hasToken("<start_of_turn>") && hasToken("<end_of_turn>") {
            self = .gemma
        } else if hasToken("<|start_header_id|>") && hasToken("<|eot_id|>") {
            self = .llama3
        } else if hasToken("<|im_start|>") && hasToken("<|im_end|>") {
            self = .chatML(defaultSystem: nil)
        } else if hasToken("<|assistant|>") && hasToken("<|end|>") {
            self = .phi3
        } else {
            return nil
        }
    }

    /// The template with Qwen 3's thinking on or off (other templates are unchanged).
    public func thinking(_ on: Bool) -> ChatTemplate {
        if case .qwen3 = self { return .qwen3(thinking: on) }
        return self
    }

    /// The text that closes the assistant's turn. The tokenizer counts its token as an end of
    /// generation, so a reply stops there.
    public var endOfTurn: String {
        switch self {
        case .chatML, .qwen3: "<|im_end|>"
        case .llama2, .llama2Chat, .zephyr: "</s>"
        case .llama3, .llama31: "<|eot_id|>"
        case .gemma: "<end_of_turn>"
        case .phi3: "<|end|>"
        }
    }

    /// Today as Llama 3.1's system header writes it ("02 Dec 2026"), as llama.cpp passes
    /// `date_string` to every template.
    public static func today(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd MMM yyyy"
        return formatter.string(from: date)
    }

    /// The conversation as the model's prompt text; with `addAssistantPrompt`, followed by the
    /// opening of the assistant's turn. `today` is the date Llama 3.1's header shows.
    public func format(_ messages: [ChatMessage], addAssistantPrompt: Bool, today: String = ChatTemplate.today()) -> String {
        var s = ""
        switch self {
        case .chatML(let defaultSystem):
            if let defaultSystem, let first = messages.first, first.role != "system" {
                s += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
            }
            for m in messages { s += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addAssistantPrompt { s += "<|im_start|>assistant\n" }
        case .qwen3(let thinking):
            s = formatQwen3(messages, addAssistantPrompt: addAssistantPrompt, thinking: thinking)
        case .llama2(let systemBlock, let bosInHistory, let strip):
            var insideTurn = true
            s += "[INST] "
            for m in messages {
                let content = strip ? trimmed(m.content) : m.content
                if !insideTurn {
                    insideTurn = true
                    s += bosInHistory ? "<s>[INST] " : "[INST] "
                }
                switch m.role {
                case "system": s += systemBlock ? "<<SYS>>\n\(content)\n<</SYS>>\n\n" : "\(content)\n"
                case "user": s += "\(content) [/INST]"
                default:
                    s += "\(content)</s>"
                    insideTurn = false
                }
            }
        case .llama2Chat:
            var turns = messages[...]
            var system: String?
            if let first = turns.first, first.role == "system" {
                system = first.content
                turns = turns.dropFirst()
            }
            for (i, m) in turns.enumerated() {
                var content = m.content
                if i == 0, let system { content = "<<SYS>>\n\(system)\n<</SYS>>\n\n" + content }
                switch m.role {
                // BOS opens every exchange; the first one is the tokenizer's.
                case "user": s += (s.isEmpty ? "" : "<s>") + "[INST] \(trimmed(content)) [/INST]"
                case "assistant": s += " \(trimmed(content)) </s>"
                default: break
                }
            }
        case .llama3, .llama31:
            var turns = messages[...]
            if self == .llama31 {
                var system = ""
                if let first = turns.first, first.role == "system" {
                    system = trimmed(first.content)
                    turns = turns.dropFirst()
                }
                s += "<|start_header_id|>system<|end_header_id|>\n\n"
                    + "Cutting Knowledge Date: December 2023\nToday Date: \(today)\n\n\(system)<|eot_id|>"
            }
            for m in turns {
                s += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(trimmed(m.content))<|eot_id|>"
            }
            if addAssistantPrompt { s += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .gemma:
            // Gemma 3's template: a first system message becomes the head of the first turn.
            var turns = messages[...]
            var firstPrefix = ""
            if let first = turns.first, first.role == "system" {
                firstPrefix = first.content + "\n\n"
                turns = turns.dropFirst()
            }
            for (i, m) in turns.enumerated() {
                let role = m.role == "assistant" ? "model" : m.role
                s += "<start_of_turn>\(role)\n" + (i == 0 ? firstPrefix : "") + trimmed(m.content) + "<end_of_turn>\n"
            }
            if addAssistantPrompt { s += "<start_of_turn>model\n" }
        case .phi3:
            for m in messages { s += "<|\(m.role)|>\n\(m.content)<|end|>\n" }
            if addAssistantPrompt { s += "<|assistant|>\n" }
        case .zephyr:
            for m in messages { s += "<|\(m.role)|>\n\(m.content)</s>\n" }
            if addAssistantPrompt { s += "<|assistant|>\n" }
        }
        return s
    }

    /// Qwen 3's template for plain messages: a first system message heads the prompt; a reply
    /// keeps its thoughts only after the last user message (earlier ones are dropped, as the
    /// model was trained).
    private func formatQwen3(_ messages: [ChatMessage], addAssistantPrompt: Bool, thinking: Bool) -> String {
        var s = ""
        let lastQuery = messages.lastIndex { $0.role == "user" } ?? messages.count - 1
        for (i, m) in messages.enumerated() {
            if m.role == "user" || m.role == "system" {
                s += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n"
            } else if m.role == "assistant" {
                var content = m.content
                var reasoning = ""
                if let close = content.range(of: "</think>") {
                    let before = content[..<close.lowerBound]
                    let thoughts = before.range(of: "<think>", options: .backwards).map { before[$0.upperBound...] } ?? before
                    reasoning = dropLeadingNewlines(dropTrailingNewlines(String(thoughts)))
                    let last = content.range(of: "</think>", options: .backwards)!
                    content = dropLeadingNewlines(String(content[last.upperBound...]))
                }
                s += "<|im_start|>assistant\n"
                if i > lastQuery && (i == messages.count - 1 || !reasoning.isEmpty) {
                    s += "<think>\n\(dropTrailingNewlines(dropLeadingNewlines(reasoning)))\n</think>\n\n" + dropLeadingNewlines(content)
                } else {
                    s += content
                }
                s += "<|im_end|>\n"
            }
        }
        if addAssistantPrompt {
            s += "<|im_start|>assistant\n"
            if !thinking { s += "<think>\n\n</think>\n\n" }
        }
        return s
    }

    /// The system prompt a ChatML template writes when the conversation has none: the literal
    /// text of a `'<|im_start|>system\n…<|im_end|>'` string in the template (not an expression).
    static func defaultSystemPrompt(in template: String) -> String? {
        var search = template.startIndex ..< template.endIndex
        while let open = template.range(of: "<|im_start|>system", range: search) {
            search = open.upperBound ..< template.endIndex
            var start = open.upperBound
            if template[start...].hasPrefix("\\n") {
                start = template.index(start, offsetBy: 2)
            } else if template[start...].hasPrefix("\n") {
                start = template.index(after: start)
            } else {
                continue
            }
            guard let close = template.range(of: "<|im_end|>", range: start ..< template.endIndex) else { break }
            let text = template[start ..< close.lowerBound]
            // A quote, brace or `+` means the system text is computed, not written out.
            guard !text.isEmpty, !text.contains(where: { "'\"{}+".contains($0) }) else { continue }
            return text.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\\", with: "\\")
        }
        return nil
    }

    /// Leading and trailing whitespace removed, as llama.cpp's `trim` and Jinja's `trim`.
    private func trimmed(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(s[first ... last])
    }

    /// Python's `lstrip('\n')`.
    private func dropLeadingNewlines(_ s: String) -> String { String(s.drop { $0 == "\n" }) }

    /// Python's `rstrip('\n')`.
    private func dropTrailingNewlines(_ s: String) -> String {
        var s = Substring(s)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
