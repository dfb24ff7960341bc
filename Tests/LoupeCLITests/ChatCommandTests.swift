import Foundation
import Testing

/// `loupe chat` driven through a pseudo-terminal (util-linux `script`), as a student types.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
                "/usr/bin/script (util-linux) is absent"))
struct ChatCommandTests {
    /// Runs `loupe chat` in a terminal, typing each input after its delay; kills it after `limit` seconds.
    static func chat(_ inputs: [(delay: Double, text: String)], limit: Double = 120) throws -> String {
        // A system prompt of our own: with its template's default one ("You are a helpful AI
        // assistant named SmolLM, trained by Hugging Face"), SmolLM2-135M Q4_1 answers the first
        // question greedily with "L'Étoile, la Marseillaise, la femme, la femme, …".
        let command = ([Loupe.executable, "chat", "-m", Loupe.smolLM2, "--temp", "0", "--system", "You are a helpful assistant."])
            .map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", command, "/dev/null"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let collected = Collected()
        output.fileHandleForReading.readabilityHandler = { collected.append($0.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(limit)
        for (delay, text) in inputs {
            Thread.sleep(forTimeInterval: delay)
            guard process.isRunning else { break }
            input.fileHandleForWriting.write(Data(text.utf8))
        }
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        collected.append(output.fileHandleForReading.readDataToEndOfFile())
        return collected.text
    }

    /// Output gathered from the reading thread.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }

    @Test("answers a question sensibly, then Ctrl-C ends a long reply and the session goes on")
    func conversation() throws {
        let text = try Self.chat([
            (0.5, "What is the capital of France?\n"),
            (10, "Write a very long story about a dragon.\n"),
            (4, "\u{03}"),
            (1, "What is the capital of Germany?\n"),
            (10, "/quit\n"),
        ])
        #expect(text.contains("template chatml"))
        #expect(text.contains("Paris"))
        #expect(text.contains("(reply interrupted)"))
        #expect(text.contains("Berlin"))
        // The second question is evaluated on top of the kept KV cache: only its new tokens.
        #expect(text.components(separatedBy: "prompt eval: ").count == 4)
    }
}

/// How `loupe chat` picks a template, before any weight is loaded.
@Suite struct ChatTemplateChoiceTests {
    static let gemma3 = Loupe.packageRoot.appendingPathComponent("Weights/gemma-3-270m-q4_k_m.gguf").path

    @Test("Gemma 3 270M has no template: the Gemma one is chosen from its turn tokens")
    func gemma3GetsGemmaTurns() throws {
        // Standard input is empty: the chat (if the model loads) ends at once.
        let r = try Loupe.run(["chat", "-m", Self.gemma3, "--temp", "0"], input: "")
        #expect(r.stderr.contains("has no tokenizer.chat_template; using gemma"), "\(r.stderr)")
        #expect(!r.stderr.contains("is not an end-of-generation token"), "\(r.stderr)")
    }

    @Test("an unknown --template is refused with the list of names")
    func unknownTemplateName() throws {
        let r = try Loupe.run(["chat", "-m", Loupe.smolLM2, "--template", "jinja"], input: "")
        #expect(r.status == 1)
        #expect(r.stderr.contains("unknown template 'jinja'") && r.stderr.contains("llama3.1") && r.stderr.contains("zephyr"))
    }
}
