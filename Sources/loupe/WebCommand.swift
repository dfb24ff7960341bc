import ArgumentParser
import Dispatch
import Foundation
import GlassBox
import GlassBoxHTTP
import Loupe

/// `loupe web`: the glass box in the browser — a page that shows the model thinking, and its JSON API.
struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the glass box: a page at / that shows the model thinking, and its JSON API under /loupe/v1/.",
        discussion: """
            Open the printed address in a browser. Listens on 127.0.0.1 unless --host says otherwise \
            (--host 0.0.0.0 lets a classroom connect). Ctrl-C stops it. See docs/web.md.
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
            let name = URL(fileURLWithPath: try modelOptions.resolvedPath()).lastPathComponent
            let box = GlassBox(model: model, tokenizer: tokenizer, file: name)
            let host = self.host
            let done = DispatchSemaphore(value: 0)
            let failure = WebFailure()
            Task {
                do {
                    try await GlassBoxServer.run(box: box, host: host, port: port) { port in
                        let shown = host.contains(":") ? "[\(host)]" : host
                        printFlushed("loupe web: open http://\(shown):\(port)/ (model \(name), backend \(model.backend.name))\n")
                    }
                } catch {
                    failure.error = error
                }
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw CLIError("the server stopped: \(error)") }
        }
    }
}

/// The server task's error, handed to the waiting main thread.
private final class WebFailure: @unchecked Sendable {
    var error: Error?
}
