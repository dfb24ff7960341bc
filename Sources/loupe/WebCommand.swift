import ArgumentParser
import Foundation
import Loupe
import Server

/// `loupe web`: the glass box in the browser — `loupe serve` with one slot on port 8090, printing
/// the page's address (the OpenAI API answers on the same port).
struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the glass box: a page at / that shows the model thinking, and its JSON API under /loupe/v1/.",
        discussion: """
            Open the printed address in a browser. Listens on 127.0.0.1 unless --host says otherwise \
            (--host 0.0.0.0 lets a classroom connect). The OpenAI API of `loupe serve` answers on the \
            same port (/v1/…); `loupe serve` serves the same page at /. Ctrl-C stops it. See docs/web.md.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "Address to listen on (0.0.0.0: every interface).")
    var host = "127.0.0.1"
    @Option(help: "Port (0: any free port; the address printed says which).")
    var port = 8090

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        try reportingErrors {
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            // The page works on any model; the chat endpoint falls back to ChatML when the model's
            // template is not one Loupe knows (the page's chat mode is then switched off).
            let template = (try? ChatTemplateChoice.resolve(name: nil, file: model.file)) ?? ChatTemplate(name: "chatml")!
            let engine = try Engine(model: model, tokenizer: tokenizer, parallel: 1, contextLength: nil, queueLimit: 64)
            var settings = ServerConfiguration()
            settings.host = host
            settings.port = port
            settings.modelName = URL(fileURLWithPath: model.file.path).lastPathComponent
            let summary = "model \(settings.modelName), backend \(model.backend.name)"
            try Serving.run("loupe web", engine: engine, template: template, settings: settings) { address in
                "loupe web: open \(address) (\(summary))\n"
            }
        }
    }
}
