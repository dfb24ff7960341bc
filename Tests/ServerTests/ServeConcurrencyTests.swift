import Foundation
import Testing

/// Several clients at once: slots, the queue, disconnection, shutdown.
@Suite(.serialized)
struct ServeConcurrencyTests {
    static func completionText(_ object: [String: Any]) -> String? {
        (object["choices"] as? [[String: Any]])?.first?["text"] as? String
    }

    /// Ten clients through eight slots (decoded together, more than the 4 tokens from which a
    /// prompt would take the float GEMM): every answer equals the same request made alone, and
    /// the queue drains.
    @Test func parallelClientsGetTheirOwnAnswers() throws {
        let server = try ServerProcess(["--parallel", "8", "-c", "256"])
        defer { server.stop() }
        let prompts = ["The capital of France is", "Once upon a time", "The sun is a", "My favourite food is",
                       "In 1969, the first", "The best way to learn", "Water boils at", "A good friend is",
                       "The recipe for bread", "Cats and dogs"]
        let alone = try prompts.map { p in
            try Self.completionText(server.post("/v1/completions", ["prompt": p, "temperature": 0, "max_tokens": 20]).1)
        }
        let results = Mutex2<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: prompts.count) { i in
            let answer = try? server.post("/v1/completions", ["prompt": prompts[i], "temperature": 0, "max_tokens": 20])
            if let answer, answer.0 == 200, let text = Self.completionText(answer.1) { results.set(i, text) }
        }
        let together = results.value
        #expect(together.count == prompts.count)
        for i in prompts.indices { #expect(together[i] == alone[i], "prompt \(i)") }
        let metrics = try server.request("GET", "/metrics").text
        #expect(metrics.contains("loupe_slots_busy 0"))
        #expect(metrics.contains("loupe_requests_waiting 0"))
    }

    /// A connection kept alive serves the next request, and a whole generated answer (whose
    /// connection is watched for the client leaving, and then closed) says `Connection: close`,
    /// so that a client does not send its next request on a closing connection.
    @Test func keepAliveConnectionsAreReusedOrClosedOpenly() throws {
        let server = try ServerProcess(["--parallel", "1", "-c", "256"])
        defer { server.stop() }
        let connection = try RawHTTP(port: server.port, timeout: 60)
        func send(_ path: String, _ json: String) {
            let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(json.utf8.count)\r\n\r\n"
            connection.send(Array((head + json).utf8))
        }
        /// One answer with a Content-Length, read without waiting for the connection to close.
        func answer() throws -> HTTPResult {
            var raw: [UInt8] = []
            while let chunk = connection.receive() {
                raw += chunk
                if let r = try? RawHTTP.parse(raw), let n = r.headers["content-length"].flatMap(Int.init), r.body.count >= n { return r }
            }
            return try RawHTTP.parse(raw)
        }
        for text in ["Hello", "world"] {
            send("/tokenize", #"{"content": "\#(text)"}"#)
            let r = try answer()
            #expect(r.status == 200 && r.headers["connection"]?.lowercased() != "close", "\(r.headers)")
        }
        send("/v1/completions", #"{"prompt": "Hello", "max_tokens": 2, "temperature": 0}"#)
        let whole = try answer()
        #expect(whole.status == 200)
        #expect(whole.headers["connection"]?.lowercased() == "close", "\(whole.headers)")
    }

    /// A client that hangs up mid-stream frees its slot at once: with one slot, the next request
    /// is served right after, not when the abandoned answer would have ended.
    @Test func disconnectingClientFreesItsSlot() throws {
        let server = try ServerProcess(["--parallel", "1", "-c", "1024"])
        defer { server.stop() }
        let body = #"{"prompt": "Once upon a time", "max_tokens": 1000, "temperature": 1, "stream": true}"#
        let connection = try RawHTTP(port: server.port, timeout: 60)
        connection.send(RawHTTP.requestBytes(method: "POST", path: "/v1/completions",
                                             headers: ["Content-Type": "application/json"], body: Array(body.utf8)))
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains("\"text\""), let chunk = connection.receive() { received += chunk }
        #expect(String(decoding: received, as: UTF8.self).contains("data: "))
        connection.hangUp()

        let start = Date()
        var busy = true
        while busy, Date().timeIntervalSince(start) < 20 {
            busy = try !server.request("GET", "/metrics").text.contains("loupe_slots_busy 0")
            if busy { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(!busy, "the slot is still busy after the client left")
        let (status, _) = try server.post("/v1/completions", ["prompt": "Hello", "max_tokens": 2])
        #expect(status == 200)
        #expect(server.stderr.contains("client disconnected") || server.stderr.contains("/v1/completions"))
    }

    /// With every slot busy and no room in the queue, a request is refused at once (503); then
    /// SIGTERM stops the server cleanly after the request in flight.
    @Test func fullQueueIs503AndSigtermStopsCleanly() throws {
        let server = try ServerProcess(["--parallel", "1", "--queue", "0", "-c", "1024"])
        let long = #"{"prompt": "Once upon a time", "max_tokens": 200, "temperature": 1, "stream": true}"#
        let connection = try RawHTTP(port: server.port, timeout: 120)
        connection.send(RawHTTP.requestBytes(method: "POST", path: "/v1/completions",
                                             headers: ["Content-Type": "application/json"], body: Array(long.utf8)))
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains("\"text\""), let chunk = connection.receive() { received += chunk }

        let refused = try server.request("POST", "/v1/completions", json: #"{"prompt": "Hi", "max_tokens": 2}"#)
        #expect(refused.status == 503)
        #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "server_busy")

        let status = server.stop(timeout: 30)
        #expect(status == 0, "\(server.stderr)")
        // The stream in flight was ended properly (or cut at the shutdown deadline), never left hanging.
        while let chunk = connection.receive() { received += chunk }
        #expect(server.stderr.contains("stopped"))
    }

    /// The official `openai` Python client, when installed (`pip install openai`).
    @Test(.enabled(if: PythonOpenAI.isInstalled, "python3 with the openai package is not installed"))
    func officialOpenAIClient() throws {
        let server = try ServerProcess(["--parallel", "2", "-c", "512"], apiKey: "sk-loupe-test")
        defer { server.stop() }
        let script = Paths.packageRoot.appendingPathComponent("Tests/ServerTests/openai_client_test.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "http://127.0.0.1:\(server.port)/v1", "sk-loupe-test"]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("openai-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(600)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(output)\n--- server ---\n\(server.stderr)")
        #expect(output.contains("all openai client checks passed"))
    }
}

enum PythonOpenAI {
    static let isInstalled: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import openai"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()
}

/// A value shared between threads.
final class Mutex2<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return _value }
    func set<K: Hashable, V>(_ key: K, _ v: V) where Value == [K: V] {
        lock.lock(); defer { lock.unlock() }
        _value[key] = v
    }
}
