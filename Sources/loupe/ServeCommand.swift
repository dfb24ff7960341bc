import ArgumentParser
import Dispatch
import Foundation
import GlassBox
import GlassBoxHTTP
import Loupe
import Server

/// `loupe serve`: an OpenAI-compatible HTTP endpoint (as llama.cpp's `llama-server` and LM
/// Studio's local server), for the `openai` client, LangChain or curl.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over HTTP with the OpenAI API (/v1/chat/completions, /v1/completions, …).",
        discussion: "Listens on 127.0.0.1 unless --host says otherwise. Ctrl-C (or SIGTERM) stops it after the requests in flight. See docs/serve.md.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "Address to listen on (0.0.0.0: every interface, for a classroom).")
    var host = "127.0.0.1"
    @Option(help: "Port (0: any free port; the URL printed says which).")
    var port = 8080
    @Option(help: "Slots: requests generated at the same time, each with its own KV cache.")
    var parallel = 1
    @Option(name: .short, help: "Context length of each slot (default: the model's, at most 4096).")
    var c: Int?
    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer KEY' (default: $LOUPE_API_KEY, else none).")
    var apiKey: String?
    @Option(help: "Requests that may wait for a free slot; more get 503.")
    var queue = 64
    @Option(help: "Chat template instead of the model's: chatml, llama2, llama2-sys, llama3, gemma, phi3.")
    var template: String?
    @Option(help: "Longest time one request may generate, in seconds.")
    var timeout = 600
    @Option(name: .customLong("max-body"), help: "Largest request body, in bytes (413 beyond).")
    var maxBody = 1 << 20
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may send nothing (idle, or a request that stops arriving) before it is closed.")
    var idleTimeout = 60
    @Flag(name: .customLong("no-batching"), help: "Decode the slots one after the other instead of in one batch.")
    var noBatching = false

    func validate() throws {
        guard parallel >= 1, parallel <= 64 else { throw ValidationError("--parallel must be between 1 and 64") }
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard queue >= 0 else { throw ValidationError("--queue must be 0 or more") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard maxBody >= 1024 else { throw ValidationError("--max-body must be at least 1024") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            let template = try ChatTemplateChoice.resolve(name: template, file: model.file)
            let engine = try Engine(model: model, tokenizer: tokenizer, parallel: parallel, contextLength: c,
                                    queueLimit: queue, batching: !noBatching)
            var settings = ServerConfiguration()
            settings.host = host
            settings.port = port
            settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["LOUPE_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            settings.timeLimit = .seconds(timeout)
            settings.maxBodyBytes = maxBody
            settings.idleTimeout = .seconds(idleTimeout)
            settings.modelName = URL(fileURLWithPath: model.file.path).lastPathComponent
            let summary = "model \(settings.modelName), \(engine.slotCount) slot\(engine.slotCount == 1 ? "" : "s") "
                + "of \(engine.contextLength) tokens, template \(template), backend \(model.backend.name)"
                + (settings.apiKey == nil ? "" : ", API key required")
            try Serving.run("loupe serve", engine: engine, template: template, settings: settings) { address in
                "loupe serve: listening on \(address)v1 (\(summary))\nloupe serve: the glass box page is at \(address)\n"
            }
        }
    }
}

/// What `loupe serve` and `loupe web` share: one Hummingbird server with the OpenAI API
/// (`LoupeServer`) and the glass box's page and API mounted beside it, on one model.
enum Serving {
    /// Serves until SIGINT or SIGTERM. `announce` turns the address (`http://HOST:PORT/`) into
    /// the lines printed once the server listens; `command` names it in the last line.
    static func run(_ command: String, engine: Engine, template: ChatTemplate, settings: ServerConfiguration,
                    announce: @escaping @Sendable (String) -> String) throws {
        // The glass box shares the engine's model: weights are read-only, and each forward pass
        // has its own session, so inspecting and generating can run at the same time.
        let box = GlassBox(model: engine.model, tokenizer: engine.tokenizer, file: settings.modelName)
        let mounted = MountedRoutes(owns: GlassBoxMount.owns, needsKey: GlassBoxMount.needsKey,
                                    responder: GlassBoxMount.responder(box: box, maxBody: settings.maxBodyBytes))
        let server = LoupeServer(engine: engine, template: template, configuration: settings, mounted: mounted)
        let host = settings.host
        // The server is asynchronous; this command waits for it on the main thread.
        let done = DispatchSemaphore(value: 0)
        let failure = ErrorBox()
        Task {
            do {
                try await server.run { port in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    printFlushed(announce("http://\(shown):\(port)/"))
                }
            } catch {
                failure.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw CLIError("the server stopped: \(error)") }
        printError("\(command): stopped")
    }
}

/// Carries an error out of the server's task.
private final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}

/// The chat template a command uses: the one named, else the model's own.
enum ChatTemplateChoice {
    static func resolve(name: String?, file: GGUFFile) throws -> ChatTemplate {
        if let name {
            guard let t = ChatTemplate(name: name) else {
                throw CLIError("unknown template '\(name)'; choose chatml, llama2, llama2-sys, llama3, gemma or phi3")
            }
            return t
        }
        guard let jinja = file.metadata["tokenizer.chat_template"]?.stringValue else {
            throw CLIError("\(file.path) has no tokenizer.chat_template; pass --template chatml (or llama2, llama3, gemma, phi3)")
        }
        guard let t = ChatTemplate(jinja: jinja) else {
            let start = jinja.prefix(80).replacingOccurrences(of: "\n", with: "\\n")
            throw CLIError("the chat template of \(file.path) is not one Loupe recognizes (it starts \"\(start)…\"); "
                           + "pass --template chatml to use ChatML anyway")
        }
        return t
    }
}
