import Decoding
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Tokenizers
import Transformer

/// `loupe serve`: the OpenAI-compatible HTTP API over an `Engine`, and beside it the routes of
/// `mounted` (the glass box page and its API, docs/web.md) on the same port.
///
/// Routes are dispatched here by hand (not by Hummingbird's router) so that every miss gets
/// OpenAI's error body: 404 for an unknown path, 405 for a known path with the wrong method.
public struct LoupeServer: HTTPResponder, Sendable {
    public typealias Context = BasicRequestContext

    public let engine: Engine
    public let reader: OpenAIRequestReader
    public let configuration: ServerConfiguration
    /// Other routes served on the same port, or nil.
    public let mounted: MountedRoutes?
    private let counters = Counters()
    private let started = Date()

    public init(engine: Engine, template: ChatTemplate, configuration: ServerConfiguration, mounted: MountedRoutes? = nil) {
        self.engine = engine
        self.configuration = configuration
        self.mounted = mounted
        reader = OpenAIRequestReader(tokenizer: engine.tokenizer, template: template,
                                     contextLength: engine.contextLength, timeLimit: configuration.timeLimit)
    }

    /// Runs the server until SIGINT or SIGTERM, then lets the requests in flight end (at most
    /// `shutdownGrace`) and stops the engine. `onReady` receives the bound port.
    public func run(onReady: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        var logger = Logger(label: "loupe-serve")
        logger.logLevel = .critical   // the server writes its own one line per request
        let ready = ReadyFlag()
        let app = Application(
            responder: self,
            // A connection that sends nothing for `idleTimeout` (an idle keep-alive, or a body
            // that stops arriving) is closed; one waiting for its answer is not.
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeout.components.seconds)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "loupe"),
            onServerRunning: { channel in
                ready.value.store(true, ordering: .relaxed)
                onReady(channel.localAddress?.port ?? 0)
            },
            logger: logger)
        engine.start()
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace
        group.maximumCancellationDuration = .seconds(2)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            engine.stop(cancelRunning: true)
            // Once listening, an error can only come from the shutdown (requests still running
            // at the deadline were cancelled): that is still a clean stop.
            if !ready.value.load(ordering: .relaxed) { throw error }
            return
        }
        engine.stop(cancelRunning: true)
    }

    // MARK: - Routing

    /// Which methods each path accepts.
    private static let routes: [String: [HTTPRequest.Method]] = [
        "/health": [.get], "/v1/health": [.get],
        "/v1/models": [.get], "/models": [.get],
        "/v1/chat/completions": [.post], "/chat/completions": [.post],
        "/v1/completions": [.post], "/completions": [.post],
        "/tokenize": [.post], "/detokenize": [.post],
        "/metrics": [.get],
    ]

    public func respond(to request: Request, context: Context) async throws -> Response {
        let log = RequestLog(method: request.method.rawValue, path: request.uri.path)
        var response: Response
        do {
            response = try await route(request, context: context, log: log)
        } catch let error as APIError {
            response = Self.errorResponse(error)
        } catch {
            response = Self.errorResponse(.server("\(error)"))
        }
        count("http_\(response.status.code)")
        log.status = response.status.code
        if !log.streaming, !log.quiet, configuration.logRequests { log.write() }
        return response
    }

    private func route(_ request: Request, context: Context, log: RequestLog) async throws -> Response {
        var path = request.uri.path
        if let mounted, mounted.owns(path) {
            if mounted.needsKey(path) { try authorize(request) }
            // Only the requests that run the model are worth a log line (the page polls `GET`s).
            log.quiet = request.method != .post
            return try await mounted.responder.respond(to: request, context: context)
        }
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard let methods = Self.routes[path] else { throw APIError.notFound(path) }
        if request.method == .options { return Response(status: .noContent, headers: Self.corsHeaders) }
        guard methods.contains(request.method) else {
            let allowed = methods.map(\.rawValue).joined(separator: ", ")
            var response = Self.errorResponse(.methodNotAllowed(request.method.rawValue, path, allowed: allowed))
            response.headers[HTTPField.Name("Allow")!] = allowed
            return response
        }
        if path != "/health", path != "/v1/health" { try authorize(request) }
        count("requests")

        switch path {
        case "/health", "/v1/health": return Self.json(["status": "ok"])
        case "/v1/models", "/models": return Self.json(models)
        case "/metrics":
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics())))
        default: break
        }

        // Every other route has a JSON body.
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > configuration.maxBodyBytes {
            throw APIError.bodyTooLarge(limit: configuration.maxBodyBytes)
        }
        var request = request
        let body = try await collect(request.body)
        guard let json = JSONValue.parse(body) else { throw APIError.invalidJSON }
        let generation: OpenAIRequest
        switch path {
        case "/tokenize": return try tokenize(json)
        case "/detokenize": return try detokenize(json)
        case "/v1/chat/completions", "/chat/completions": generation = try reader.chat(json, text: body)
        default: generation = try reader.completion(json, text: body)
        }
        // A stream outlives this handler; its client's leaving shows as a failed write.
        if generation.stream { return try await generate(generation, cancellation: CancellationFlag(), log: log) }
        // A whole answer: the connection is watched while it is generated, and the generation
        // stopped if the client closes it. Watching reads the connection past this request, so
        // Hummingbird closes it after the answer: `Connection: close` says so, else a client
        // that reuses the connection at once finds it closed ("server disconnected").
        request.body = RequestBody(buffer: ByteBuffer(bytes: body))
        let inboundClosed = CancellationFlag()
        var response: Response
        do {
            response = try await request.body.consumeWithInboundCloseHandler({ _ in
                try await generate(generation, cancellation: inboundClosed, log: log)
            }, onInboundClosed: { inboundClosed.cancel() })
        } catch {
            response = Self.errorResponse(error as? APIError ?? .server("\(error)"))
        }
        response.headers[.connection] = "close"
        return response
    }

    /// The body, refused beyond `maxBodyBytes` (413) as soon as it gets there.
    private func collect(_ body: RequestBody) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in body {
            guard bytes.count + buffer.readableBytes <= configuration.maxBodyBytes else {
                throw APIError.bodyTooLarge(limit: configuration.maxBodyBytes)
            }
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    private func authorize(_ request: Request) throws(APIError) {
        guard let key = configuration.apiKey else { return }
        // `Authorization: Bearer KEY` as OpenAI's clients send it, or `X-Api-Key: KEY` (Anthropic's).
        let given: String
        if let header = request.headers[.authorization] {
            given = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
        } else if let header = request.headers[HTTPField.Name("X-Api-Key")!] {
            given = header
        } else {
            throw .missingKey
        }
        // Compare every byte, so the time taken does not tell how much of a guess was right.
        let a = Array(given.utf8), b = Array(key.utf8)
        var difference = a.count ^ b.count
        for i in 0 ..< max(a.count, b.count) {
            difference |= Int((i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0))
        }
        guard difference == 0 else { throw .wrongKey }
    }

    // MARK: - Endpoints

    private var models: JSONValue {
        let c = engine.model.configuration
        return [
            "object": "list",
            "data": [[
                "id": .string(configuration.modelName), "object": "model",
                "created": .int(Int(started.timeIntervalSince1970)), "owned_by": "loupe",
                "meta": [
                    "n_ctx_train": .int(c.contextLength), "n_ctx": .int(engine.contextLength),
                    "n_vocab": .int(c.vocabularySize), "n_embd": .int(c.embeddingLength),
                    "n_slots": .int(engine.slotCount),
                ],
            ]],
        ]
    }

    /// llama-server's `/tokenize`: `{"content", "add_special", "parse_special", "with_pieces"}`.
    private func tokenize(_ body: JSONValue) throws(APIError) -> Response {
        let f = try RequestFields(body)
        guard let content = try f.string("content") else { throw .invalid("'content' is required", param: "content") }
        let addSpecial = try f.bool("add_special") ?? false
        let parseSpecial = try f.bool("parse_special") ?? true
        let ids = engine.tokenizer.encode(content, addBOS: addSpecial ? nil : false, parseSpecial: parseSpecial)
        if try f.bool("with_pieces") == true {
            return Self.json(["tokens": .array(ids.map { id in
                ["id": .int(id), "piece": .string(engine.tokenizer.piece(id))]
            })])
        }
        return Self.json(["tokens": .array(ids.map { .int($0) })])
    }

    /// llama-server's `/detokenize`: `{"tokens": [ids]}` → `{"content"}`.
    private func detokenize(_ body: JSONValue) throws(APIError) -> Response {
        let f = try RequestFields(body)
        guard case .array(let items)? = f.value("tokens") else { throw .wrongType("tokens", "an array of token ids") }
        var ids: [Int] = []
        for item in items {
            guard case .number(let x) = item, x == x.rounded(), (0 ..< Double(engine.tokenizer.vocabularySize)).contains(x) else {
                throw .invalid("'tokens' must hold token ids between 0 and \(engine.tokenizer.vocabularySize - 1)", param: "tokens")
            }
            ids.append(Int(x))
        }
        return Self.json(["content": .string(engine.tokenizer.detokenize(ids))])
    }

    /// `/v1/chat/completions` and `/v1/completions`: queue the request, then answer in one body
    /// or as server-sent events.
    private func generate(_ request: OpenAIRequest, cancellation: CancellationFlag, log: RequestLog) async throws -> Response {
        let stream = try engine.submit(request.generation, cancellation: cancellation)
        let builder = OpenAIResponseBuilder(endpoint: request.endpoint, model: configuration.modelName,
                                            created: Int(Date().timeIntervalSince1970))
        let wantsLogprobs = request.generation.logprobs != nil
        if !request.stream {
            var text = ""
            var logprobs: [TokenLogprob] = []
            for await event in stream {
                switch event {
                case .text(let piece, _, let entries):
                    text += piece
                    logprobs += entries
                case .failed(let error):
                    throw error
                case .finished(let summary):
                    log.summary = summary
                    return Self.json(builder.complete(text: text, logprobs: wantsLogprobs ? logprobs : nil, summary: summary))
                }
            }
            // The stream ended without a summary: the client left (or the server is stopping).
            if cancellation.isCancelled { log.note = "client disconnected" }
            cancellation.cancel()
            throw APIError.shuttingDown
        }

        log.streaming = true
        let includeUsage = request.includeUsage
        let logRequests = configuration.logRequests
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            func send(_ value: JSONValue) async throws {
                try await writer.write(ByteBuffer(string: "data: \(value.serialized)\n\n"))
            }
            defer { if logRequests { log.write() } }
            do {
                var first = true
                var offset = 0
                for await event in stream {
                    switch event {
                    case .text(let piece, _, let entries):
                        if piece.isEmpty, entries.isEmpty || !wantsLogprobs { continue }
                        try await send(builder.chunk(text: piece, logprobs: wantsLogprobs ? entries : nil,
                                                     first: first, textOffset: offset))
                        first = false
                        offset += piece.utf8.count
                    case .failed(let error):
                        log.status = error.status.code
                        try await send(error.body)
                    case .finished(let summary):
                        log.summary = summary
                        if first, request.endpoint == .chat {
                            try await send(builder.chunk(text: "", logprobs: nil, first: true, textOffset: 0))
                        }
                        try await send(builder.finalChunk(summary))
                        if includeUsage { try await send(builder.usageChunk(summary)) }
                    }
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            } catch {
                // The client went away: its slot is freed at the engine's next step.
                cancellation.cancel()
                log.note = "client disconnected"
                throw error
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: - Metrics

    private func count(_ key: String) {
        counters.values.withLock { $0[key, default: 0] += 1 }
    }

    /// The Prometheus text exposition of the server's counters.
    func metrics() -> String {
        let s = engine.statistics
        let http = counters.values.withLock { $0 }
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ value: Double, labels: String = "") {
            if labels.isEmpty || !lines.contains(where: { $0.hasPrefix("# TYPE \(name) ") }) {
                lines.append("# HELP \(name) \(help)")
                lines.append("# TYPE \(name) \(type)")
            }
            let v = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            lines.append("\(name)\(labels) \(v)")
        }
        metric("loupe_requests_total", "counter", "HTTP requests to known routes (after the API key check).", Double(http["requests"] ?? 0))
        for key in http.keys.sorted() where key.hasPrefix("http_") {
            metric("loupe_http_responses_total", "counter", "HTTP responses by status code.", Double(http[key]!),
                   labels: "{code=\"\(key.dropFirst(5))\"}")
        }
        metric("loupe_generations_total", "counter", "Generation requests finished (completed, failed or abandoned).", Double(s.requestsServed))
        metric("loupe_prompt_tokens_total", "counter", "Prompt tokens of finished requests.", Double(s.promptTokens))
        metric("loupe_prompt_tokens_cached_total", "counter", "Prompt tokens reused from a slot's KV cache.", Double(s.cachedPromptTokens))
        metric("loupe_tokens_generated_total", "counter", "Tokens generated.", Double(s.generatedTokens))
        metric("loupe_prompt_tokens_per_second", "gauge", "Prompt evaluation throughput so far.",
               Double(s.promptTokens - s.cachedPromptTokens) / max(s.promptSeconds, 1e-9))
        metric("loupe_tokens_per_second", "gauge", "Generation throughput so far (tokens over the time spent decoding).",
               Double(s.generatedTokens) / max(s.generationSeconds, 1e-9))
        metric("loupe_decode_batch_size", "gauge", "Mean slots decoded together per step.",
               Double(s.decodedTokens) / Double(max(s.decodeSteps, 1)))
        metric("loupe_requests_waiting", "gauge", "Requests in the queue, waiting for a slot.", Double(s.waiting))
        metric("loupe_slots_busy", "gauge", "Slots serving a request.", Double(s.busySlots))
        metric("loupe_slots_total", "gauge", "Slots (--parallel).", Double(s.slots))
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Answers

    private static let corsHeaders: HTTPFields = {
        var h = HTTPFields()
        h[HTTPField.Name("Access-Control-Allow-Origin")!] = "*"
        h[HTTPField.Name("Access-Control-Allow-Headers")!] = "*"
        h[HTTPField.Name("Access-Control-Allow-Methods")!] = "GET, POST, OPTIONS"
        return h
    }()

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = corsHeaders
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        json(error.body, status: error.status)
    }
}

/// Routes served beside the OpenAI API on the same server: the glass box's page and its
/// `/loupe/v1/` API when `loupe serve` mounts them. The server stays ignorant of what they are;
/// it only asks which paths they own and which of those need the API key.
public struct MountedRoutes: Sendable {
    /// True for the paths `responder` answers.
    public let owns: @Sendable (String) -> Bool
    /// True for the owned paths that need the API key (when one is set).
    public let needsKey: @Sendable (String) -> Bool
    public let responder: any HTTPResponder<BasicRequestContext>

    public init(owns: @escaping @Sendable (String) -> Bool, needsKey: @escaping @Sendable (String) -> Bool,
                responder: any HTTPResponder<BasicRequestContext>) {
        self.owns = owns
        self.needsKey = needsKey
        self.responder = responder
    }
}

/// Set once the server listens.
final class ReadyFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Counts of requests and responses, shared by every copy of the server value.
final class Counters: Sendable {
    let values = Mutex<[String: Int]>([:])
}

/// One request's log line: `POST /v1/chat/completions 200 1.52s slot 0 prompt 25 (cached 0) completion 31 stop`.
final class RequestLog: @unchecked Sendable {
    let method: String
    let path: String
    let start = ContinuousClock.now
    private let lock = NSLock()
    private var _status = 0
    private var _summary: GenerationSummary?
    private var _note: String?
    private var _streaming = false
    private var _quiet = false

    init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    var status: Int { get { locked { _status } } set { locked { _status = newValue } } }
    var summary: GenerationSummary? { get { locked { _summary } } set { locked { _summary = newValue } } }
    var note: String? { get { locked { _note } } set { locked { _note = newValue } } }
    var streaming: Bool { get { locked { _streaming } } set { locked { _streaming = newValue } } }
    /// No log line for this request.
    var quiet: Bool { get { locked { _quiet } } set { locked { _quiet = newValue } } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func write() {
        let seconds = (ContinuousClock.now - start).seconds
        var line = "\(ISO8601DateFormatter().string(from: Date())) \(method) \(path) \(status) \(String(format: "%.3f", seconds))s"
        if let s = summary {
            line += " slot \(s.slot) prompt \(s.promptTokens) (cached \(s.cachedTokens)) completion \(s.completionTokens) \(s.finishReason.rawValue)"
        }
        if let note { line += " (\(note))" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
