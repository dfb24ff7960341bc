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
/// formats them in Swift, with no Jinja engine.
public enum ChatTemplate: Sendable, Equatable, CustomStringConvertible {
    /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen, …).
    case chatML
    /// `[INST] … [/INST]` with the variants llama.cpp distinguishes: `<<SYS>>` system blocks,
    /// BOS inside the history, stripped messages.
    case llama2(systemBlock: Bool, bosInHistory: Bool, strip: Bool)
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`.
    case llama3
    /// `<start_of_turn>user\n…<end_of_turn>\n`, assistant called `model`, system merged into
    /// the first user turn (Gemma 1–3).
    case gemma
    /// `<|role|>\ncontent<|end|>\n`.
    case phi3

    public var description: String {
        switch self {
        case .chatML: "chatml"
        case .llama2(let sys, let bos, let strip):
            "llama2" + (sys ? "-sys" : "") + (bos ? "-bos" : "") + (strip ? "-strip" : "")
        case .llama3: "llama3"
        case .gemma: "gemma"
        case .phi3: "phi3"
        }
    }

    /// The template named `name` (`chatml`, `llama2`, `llama2-sys`, `llama3`, `gemma`, `phi3`).
    public init?(name: String) {
        switch name.lowercased() {
        case "chatml": self = .chatML
        case "llama2": self = .llama2(systemBlock: false, bosInHistory: false, strip: false)
        case "llama2-sys": self = .llama2(systemBlock: true, bosInHistory: false, strip: false)
        case "llama2-sys-bos": self = .llama2(systemBlock: true, bosInHistory: true, strip: false)
        case "llama2-sys-strip": self = .llama2(systemBlock: true, bosInHistory: false, strip: true)
        case "llama3": self = .llama3
        case "gemma": self = .gemma
        case "phi3": self = .phi3
        default: return nil
        }
    }

    /// Recognizes a Jinja chat template by the substrings llama.cpp looks for, in llama.cpp's
    /// order (so a template llama.cpp would read as another family is not mistaken for one of
    /// these). Nil when it is none of the supported families.
    public init?(jinja template: String) {
        func has(_ s: String) -> Bool { template.contains(s) }
        if has("<|im_start|>") {
            // Phi-4 (`<|im_sep|>`) and SmolVLM (`<end_of_utterance>`) differ from ChatML.
            guard !has("<|im_sep|>"), !has("<end_of_utterance>") else { return nil }
            self = .chatML
        } else if template.hasPrefix("mistral") || has("[INST]") {
            // Mistral's official v1/v3/v7 templates share `[INST]` but lay out system prompts differently.
            let mistral = has("[SYSTEM_PROMPT]") || has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")
            guard !mistral else { return nil }
            if has("content.strip()") {
                self = .llama2(systemBlock: true, bosInHistory: false, strip: true)
            } else if has("bos_token + '[INST]") {
                self = .llama2(systemBlock: true, bosInHistory: true, strip: false)
            } else {
                self = .llama2(systemBlock: has("<<SYS>>"), bosInHistory: false, strip: false)
            }
        } else if has("<|assistant|>") && has("<|end|>") {
            self = .phi3
        } else if has("[gMASK]<sop>") || (has("<|assistant|>") && has("<|user|>"))
                    || (has("<|user|>") && has("<|endoftext|>")) || has("bos_token + message['role']") {
            return nil   // ChatGLM, GLM-Edge, Falcon 3, Zephyr, Monarch
        } else if has("<start_of_turn>") {
            self = .gemma
        } else if has("'\\n\\nAssistant: ' + eos_token") || has("GPT4 Correct ") || (has("USER: ") && has("ASSISTANT: "))
                    || (has("### Instruction:") && has("<|EOT|>")) || has("<|START_OF_TURN_TOKEN|>") {
            return nil   // Orion, OpenChat, Vicuna, DeepSeek Coder, Command R
        } else if has("<|start_header_id|>") && has("<|end_header_id|>") {
            self = .llama3
        } else {
            return nil
        }
    }

    /// The conversation as the model's prompt text; with `addAssistantPrompt`, followed by the
    /// opening of the assistant's turn.
    public func format(_ messages: [ChatMessage], addAssistantPrompt: Bool) -> String {
        var s = ""
        switch self {
        case .chatML:
            for m in messages { s += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addAssistantPrompt { s += "<|im_start|>assistant\n" }
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
        case .llama3:
            for m in messages {
                s += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(trimmed(m.content))<|eot_id|>"
            }
            if addAssistantPrompt { s += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .gemma:
            var system = ""
            for m in messages {
                if m.role == "system" {
                    system += trimmed(m.content)
                    continue
                }
                let role = m.role == "assistant" ? "model" : m.role
                s += "<start_of_turn>\(role)\n"
                if !system.isEmpty && role != "model" {
                    s += system + "\n\n"
                    system = ""
                }
                s += trimmed(m.content) + "<end_of_turn>\n"
            }
            if addAssistantPrompt { s += "<start_of_turn>model\n" }
        case .phi3:
            for m in messages { s += "<|\(m.role)|>\n\(m.content)<|end|>\n" }
            if addAssistantPrompt { s += "<|assistant|>\n" }
        }
        return s
    }

    /// Leading and trailing whitespace removed, as llama.cpp's `trim`.
    private func trimmed(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(s[first ... last])
    }
}
