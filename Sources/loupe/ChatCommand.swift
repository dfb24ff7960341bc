import ArgumentParser
import Foundation
import Loupe
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `loupe chat`: a multi-turn conversation in the model's chat template.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with the model. /reset starts over, /quit (or Ctrl-D) leaves; Ctrl-C ends the current reply.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "System prompt.")
    var system: String?
    @Option(help: "Chat template to use instead of the model's: \(ChatTemplate.names.joined(separator: ", ")).")
    var template: String?
    @Flag(help: "Qwen 3: let the model think (<think>…</think>) before it answers; by default it answers directly.")
    var think = false
    @Option(name: .short, parsing: .unconditional, help: "Most tokens per reply (-1: until the end of the turn or of the context).")
    var n: Int = -1
    @Option(name: .short, help: "Context length (default: the model's, at most 4096).")
    var c: Int?
    @OptionGroup var sampling: SamplingOptions

    func run() throws {
        try reportingErrors {
            let parameters = try sampling.parameters()
            // The template first: a file Loupe cannot chat with is refused before its weights load.
            let chatTemplate = try chosenTemplate(try modelOptions.open()).thinking(think)
            var hasThinkingSwitch = false
            if case .qwen3 = chatTemplate { hasThinkingSwitch = true }
            if think && !hasThinkingSwitch {
                printError("loupe chat: --think changes only Qwen3's template; \(chatTemplate) has no thinking switch")
            }
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            // Replies stop at the end of the turn only if its text is an end-of-generation token.
            let endOfTurn = tokenizer.encode(chatTemplate.endOfTurn, addBOS: false, parseSpecial: true)
            if endOfTurn.count != 1 || !tokenizer.isEndOfGeneration(endOfTurn[0]) {
                printError("loupe chat: \(chatTemplate.endOfTurn) is not an end-of-generation token of this vocabulary; "
                           + "replies end only at -n or a full context")
            }
            let session = try InferenceSession(model: model, contextLength: c)
            let generator = Generator(session: session, tokenizer: tokenizer, sampler: parameters.makeChain(tokenizer: tokenizer))
            let conversation = Conversation(generator: generator, template: chatTemplate, systemPrompt: system)
            printError("loupe chat: template \(chatTemplate), context \(session.contextLength), backend \(model.backend.name). "
                       + "/reset starts over, /quit leaves, Ctrl-C ends a reply.")
            Interrupt.install()
            while true {
                printFlushed("> ")
                Interrupt.clear()
                guard let line = readLine() else {
                    printFlushed("\n")
                    return
                }
                let input = line.trimmingCharacters(in: .whitespaces)
                if input.isEmpty { continue }
                if input == "/quit" || input == "/exit" { return }
                if input == "/reset" {
                    conversation.reset()
                    printError("(conversation cleared)")
                    continue
                }
                do {
                    let result = try conversation.respond(to: line, maxTokens: n, shouldStop: Interrupt.isSet) { printFlushed($0) }
                    printFlushed("\n")
                    if result.stopReason == .interrupted { printError("(reply interrupted)") }
                    if result.stopReason == .contextFull {
                        printError("(context full at \(session.contextLength) tokens: /reset to start over, or raise -c)")
                    }
                    printError(result.timingSummary)
                } catch let error as ModelError {
                    guard case .contextFull = error.kind else { throw error }
                    printError("loupe: \(error.message); /reset to start over")
                }
            }
        }
    }

    /// The template asked for with --template, else the one recognized in the model's
    /// `tokenizer.chat_template`, else (no template in the file) one guessed from the
    /// vocabulary's turn tokens; a clear error when none gives one.
    private func chosenTemplate(_ file: GGUFFile) throws -> ChatTemplate {
        if let name = template {
            guard let t = ChatTemplate(name: name) else {
                throw CLIError("unknown template '\(name)'; choose \(ChatTemplate.names.joined(separator: ", "))")
            }
            return t
        }
        guard let jinja = file.metadata["tokenizer.chat_template"]?.stringValue else {
            var tokens = Set<String>()
            if case .array(_, let values)? = file.metadata["tokenizer.ggml.tokens"] {
                for case .string(let text) in values where text.hasPrefix("<") { tokens.insert(text) }
            }
            guard let t = ChatTemplate(guessingFrom: tokens.contains) else {
                throw CLIError("\(file.path) has no tokenizer.chat_template; pass --template chatml (or \(ChatTemplate.names.dropFirst().joined(separator: ", ")))")
            }
            printError("loupe chat: \(file.path) has no tokenizer.chat_template; using \(t), whose turn tokens "
                       + "its vocabulary has (a base model may not follow the turns)")
            return t
        }
        guard let t = ChatTemplate(jinja: jinja) else {
            let start = jinja.prefix(80).replacingOccurrences(of: "\n", with: "\\n")
            throw CLIError("the chat template of \(file.path) is not one Loupe recognizes (it starts \"\(start)…\"); "
                           + "pass --template chatml to use ChatML anyway")
        }
        return t
    }
}

/// Ctrl-C while a reply is streaming ends the reply; at the prompt it ends the chat.
/// The handler only sets a flag (the one thing a signal handler may safely do).
enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    static func install() {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in Interrupt.flag.store(true, ordering: .relaxed) }
        #else
        action.__sigaction_u.__sa_handler = { _ in Interrupt.flag.store(true, ordering: .relaxed) }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0   // no SA_RESTART: Ctrl-C at the prompt makes readLine return nil
        sigaction(SIGINT, &action, nil)
        // A parent may have blocked SIGINT, and the mask is inherited: unblock it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static func isSet() -> Bool { flag.load(ordering: .relaxed) }
    static func clear() { flag.store(false, ordering: .relaxed) }
}
