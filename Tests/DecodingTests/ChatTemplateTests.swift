import Decoding
import Testing

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

    @Test("an unknown template is not recognized")
    func unknown() {
        #expect(ChatTemplate(jinja: "{{ messages }}") == nil)
        #expect(ChatTemplate(name: "jinja") == nil)
    }
}
