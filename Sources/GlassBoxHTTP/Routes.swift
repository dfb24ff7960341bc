import Foundation
import GlassBox
import Hummingbird
import Inspect
import Logging

/// Mounts the glass box on a Hummingbird router: the page at `/` (and its files under
/// `/glassbox/`) and the JSON API under `/loupe/v1/` (docs/web.md). `loupe web` calls it on a
/// router of its own; `loupe serve` can call it on its router to serve the page next to the
/// OpenAI API.
///
///     let router = Router()
///     addGlassBoxRoutes(to: router, box: GlassBox(model: model, tokenizer: tokenizer, file: name))
///
/// Model work runs on the glass box's queues, never on the event loop.
public func addGlassBoxRoutes<Context: RequestContext>(to router: Router<Context>, box: GlassBox, maxBody: Int = 1 << 20) {
    let page = PageFiles.load()
    router.get("/") { _, _ in page.response("index.html") }
    router.get("/glassbox/:file") { _, context in
        page.response(context.parameters.get("file") ?? "")
    }

    router.get("/loupe/v1/model") { _, _ in json(box.modelInfo()) }
    router.get("/loupe/v1/strings") { _, _ in json(GlassBox.strings()) }
    router.get("/loupe/v1/progress") { _, _ in json(box.progress.snapshot) }

    /// A POST endpoint: decode the body as `R`, run `body` on the inspection queue, answer JSON.
    func post<R: Decodable & Sendable, S: Encodable & Sendable>(
        _ path: RouterPath, _ type: R.Type, _ body: @escaping @Sendable (GlassBox, R) throws -> S
    ) {
        router.post(path) { request, _ in
            await answer {
                let r = try await decode(R.self, request, maxBody: maxBody)
                return json(try await box.inspect { try body($0, r) })
            }
        }
    }
    post("/loupe/v1/tokenize", PromptRequest.self) { try $0.tokenize($1) }
    post("/loupe/v1/steps", StepsRequest.self) { try $0.steps($1) }
    post("/loupe/v1/activation", ActivationRequest.self) { try $0.activationJSON($1) }
    post("/loupe/v1/attention", AttentionRequest.self) { try $0.attention($1) }
    post("/loupe/v1/lens", LensRequest.self) { try $0.lens($1) }
    post("/loupe/v1/norms", PromptRequest.self) { try $0.norms($1) }
    post("/loupe/v1/next", NextRequest.self) { try $0.next($1) }
    post("/loupe/v1/intervene", InterveneRequest.self) { try $0.intervene($1) }
    post("/loupe/v1/kernels", KernelsRequest.self) { try $0.kernels($1) }

    // `.npy` downloads: GET with the prompt in the query, so a link can download it.
    router.get("/loupe/v1/activation.npy") { request, _ in
        await answer {
            let q = formValues(request.uri.query)
            guard let hook = q["hook"] else { throw APIError.badRequest("give ?hook=NAME&prompt=TEXT") }
            let ids = q["ids"].map { $0.split(separator: ",").compactMap { Int($0) } }
            let r = ActivationRequest(prompt: q["prompt"], ids: ids, hook: hook)
            let (name, bytes) = try await box.inspect { try $0.activationNPY(r) }
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = "attachment; filename=\"\(name)\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
    router.get("/loupe/v1/block") { request, _ in
        await answer {
            let q = formValues(request.uri.query)
            guard let tensor = q["tensor"], let index = q["index"].flatMap({ Int($0) }) else {
                throw APIError.badRequest("give ?tensor=blk.0.attn_q.weight&index=0")
            }
            return json(try await box.inspect { try $0.block(tensor: tensor, index: index) })
        }
    }

    // The playground: one JSON object per line, flushed as each token is drawn.
    router.post("/loupe/v1/generate") { request, _ in
        await answer {
            let r = try await decode(GenerateRequest.self, request, maxBody: maxBody)
            let events = box.generateStream(r)
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                for await event in events {
                    var line = try encoder.encode(event)
                    line.append(UInt8(ascii: "\n"))
                    try await writer.write(ByteBuffer(bytes: line))
                }
                try await writer.finish(nil)
            })
        }
    }
}

/// Floats as JSON numbers; ±∞ and NaN (which JSON lacks) as strings.
nonisolated(unsafe) let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    e.outputFormatting = [.withoutEscapingSlashes]
    return e
}()

func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"could not encode the answer\"}".utf8)
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

func decode<R: Decodable>(_ type: R.Type, _ request: Request, maxBody: Int) async throws -> R {
    var request = request
    let body = try await request.collectBody(upTo: maxBody)
    do {
        return try JSONDecoder().decode(R.self, from: Data(body.readableBytesView))
    } catch let error as Swift.DecodingError {
        throw APIError.badRequest("the request body is not a \(R.self): \(describe(error))")
    }
}

/// A query string's values as a browser's form encodes them (`+` is a space, then `%XX`).
func formValues(_ query: String?) -> [String: String] {
    var values: [String: String] = [:]
    for pair in (query ?? "").split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ s: Substring) -> String {
            let spaced = s.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
    }
    return values
}

/// Runs `body`, turning errors into `{"error": …}` with a status (400 for bad requests, 500 else).
func answer(_ body: () async throws -> Response) async -> Response {
    do {
        return try await body()
    } catch let error as APIError {
        return json(ErrorResponse(error: error.description), status: .init(code: error.status))
    } catch let error as HTTPError {
        return json(ErrorResponse(error: "\(error)"), status: error.status)
    } catch {
        // Errors from the library name the file, offset or token they are about; most come from the request.
        return json(ErrorResponse(error: "\(error)"), status: .badRequest)
    }
}

private func describe(_ error: Swift.DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): "missing \"\(key.stringValue)\""
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
        c.codingPath.map(\.stringValue).joined(separator: ".") + ": " + c.debugDescription
    @unknown default: "\(error)"
    }
}

/// The page's files (HTML, CSS, JS), read once from the module's resources.
struct PageFiles: Sendable {
    let files: [String: [UInt8]]

    static func load() -> PageFiles {
        var files: [String: [UInt8]] = [:]
        if let dir = Bundle.module.url(forResource: "Page", withExtension: nil),
           let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) {
            for name in names {
                if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) { files[name] = Array(data) }
            }
        }
        return PageFiles(files: files)
    }

    func response(_ name: String) -> Response {
        guard let bytes = files[name] else {
            return json(ErrorResponse(error: "no file \(name)"), status: .notFound)
        }
        var headers = HTTPFields()
        let type: String = switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
