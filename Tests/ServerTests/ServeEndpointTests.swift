import Foundation
import Testing

/// `loupe serve` over loopback, with raw HTTP: every endpoint, the error statuses, streaming,
/// log-probabilities, and the same answers as the command line.
@Suite(.serialized)
final class ServeEndpointTests {
    let server: ServerProcess

    init() throws {
        server = try ServerProcess(["--parallel", "2", "-c", "512", "--max-body", "65536"], apiKey: "test-key")
    }

    deinit { server.stop() }

    static var question: [String: Any] { ["role": "user", "content": "What is the capital of France?"] }

    @Test func healthModelsAndMetrics() throws {
        let health = try server.request("GET", "/health", key: .some(nil))
        #expect(health.status == 200)
        #expect(health.json?["status"] as? String == "ok")

        let models = try server.request("GET", "/v1/models")
        #expect(models.status == 200)
        let data = models.json?["data"] as? [[String: Any]] ?? []
        #expect(data.count == 1)
        #expect(data.first?["id"] as? String == "SmolLM2-135M-Instruct.Q4_1.gguf")

        let metrics = try server.request("GET", "/metrics")
        #expect(metrics.status == 200)
        for name in ["loupe_requests_total", "loupe_tokens_generated_total", "loupe_tokens_per_second",
                     "loupe_requests_waiting", "loupe_slots_busy", "loupe_slots_total 2"] {
            #expect(metrics.text.contains(name), "\(name) missing from /metrics")
        }
    }

    @Test func tokenizeAndDetokenize() throws {
        let (status, tokens) = try server.post("/tokenize", ["content": "The capital of France is"])
        #expect(status == 200)
        let ids = tokens["tokens"] as? [Int] ?? []
        #expect(ids == [504, 3575, 282, 4649, 314])
        let (status2, text) = try server.post("/detokenize", ["tokens": ids])
        #expect(status2 == 200)
        #expect(text["content"] as? String == "The capital of France is")
        let (_, pieces) = try server.post("/tokenize", ["content": "Hi", "with_pieces": true])
        #expect((pieces["tokens"] as? [[String: Any]])?.first?["piece"] as? String == "Hi")
    }

    /// The status and OpenAI's error body for every kind of bad request.
    @Test func errorsHaveOpenAIShapeAndStatus() throws {
        func expectError(_ r: HTTPResult, _ status: Int, param: String? = nil, _ comment: Comment) {
            #expect(r.status == status, comment)
            let error = r.json?["error"] as? [String: Any]
            #expect(error?["message"] is String, comment)
            #expect(error?["type"] is String, comment)
            #expect(error?.keys.contains("param") == true && error?.keys.contains("code") == true, comment)
            if let param { #expect(error?["param"] as? String == param, comment) }
        }
        expectError(try server.request("GET", "/v1/models", key: .some(nil)), 401, "no key")
        expectError(try server.request("GET", "/v1/models", key: "nope"), 401, "wrong key")
        expectError(try server.request("GET", "/v1/nothing"), 404, "unknown route")
        expectError(try server.request("GET", "/v1/chat/completions"), 405, "GET on a POST route")
        expectError(try server.request("POST", "/v1/chat/completions", json: "{\"messages\": [}"), 400, "invalid JSON")
        expectError(try server.request("POST", "/v1/chat/completions", json: "[1, 2]"), 400, "not an object")
        let chat = "/v1/chat/completions"
        expectError(try server.request("POST", chat, json: #"{"messages": []}"#), 400, param: "messages", "empty messages")
        expectError(try server.request("POST", chat, json: #"{"messages": "hi"}"#), 400, param: "messages", "messages not an array")
        expectError(try server.request("POST", chat, json: #"{"messages": [{"role": "user", "content": 3}]}"#), 400,
                    param: "messages[0].content", "content a number")
        expectError(try server.request("POST", chat, json: #"{"messages": [{"role": "wizard", "content": "hi"}]}"#), 400,
                    param: "messages[0].role", "unknown role")
        let hi = #"[{"role": "user", "content": "hi"}]"#
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "temperature": "hot"}"#), 400,
                    param: "temperature", "temperature a string")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "max_tokens": 2.5}"#), 400,
                    param: "max_tokens", "max_tokens not an integer")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "n": 2}"#), 400, param: "n", "n = 2")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "top_logprobs": 21, "logprobs": true}"#), 400,
                    param: "top_logprobs", "top_logprobs > 20")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "stop": [1]}"#), 400, param: "stop", "stop not strings")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "stream_options": 1}"#), 400, "stream_options not an object")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string", "pattern": "a+"}}}}"#), 400,
                    param: "response_format", "a schema keyword Loupe does not support")
        expectError(try server.request("POST", chat, json: #"{"messages": \#(hi), "grammar": "root ::= other"}"#), 400,
                    param: "grammar", "a grammar with an undefined rule")
        expectError(try server.request("POST", "/v1/completions", json: #"{"prompt": [1, 99999999]}"#), 400, param: "prompt",
                    "token id out of range")
        expectError(try server.request("POST", "/v1/completions", json: #"{"prompt": {"a": 1}}"#), 400, param: "prompt", "prompt an object")
        let long = String(repeating: "hello ", count: 700)
        let tooLong = try server.request("POST", "/v1/completions", json: #"{"prompt": "\#(long)"}"#)
        expectError(tooLong, 400, param: "prompt", "prompt longer than the context")
        #expect((tooLong.json?["error"] as? [String: Any])?["code"] as? String == "context_length_exceeded")
        let huge = "{\"prompt\": \"" + String(repeating: "a", count: 70_000) + "\"}"
        expectError(try server.request("POST", "/v1/completions", json: huge), 413, "body over --max-body")

        // After all that the server still answers.
        let (status, _) = try server.post("/v1/completions", ["prompt": "Hello", "max_tokens": 2])
        #expect(status == 200)
    }

    /// `temperature: 0` gives `loupe generate --temp 0`'s text, for completions and for chat
    /// (the chat prompt in the model's template is what `generate` is given).
    @Test func greedyEqualsTheCommandLine() throws {
        let prompt = "The capital of France is"
        let cli = try CLI.generate(prompt: prompt, tokens: 24)
        let (status, answer) = try server.post("/v1/completions", ["prompt": prompt, "temperature": 0, "max_tokens": 24])
        #expect(status == 200)
        let choice = (answer["choices"] as? [[String: Any]])?.first
        #expect(choice?["text"] as? String == cli.text)
        let usage = answer["usage"] as? [String: Any]
        #expect(usage?["prompt_tokens"] as? Int == 5)
        #expect(usage?["completion_tokens"] as? Int == cli.ids.count)

        // SmolLM2's own template, with the default system prompt it writes when there is none.
        let templated = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
        let cliChat = try CLI.generate(prompt: templated, tokens: 24)
        let (status2, chat) = try server.post("/v1/chat/completions",
                                              ["messages": [Self.question], "temperature": 0, "max_tokens": 24])
        #expect(status2 == 200)
        let message = ((chat["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])
        #expect(message?["content"] as? String == cliChat.text)
        // Asked again, the slot reuses its cached prompt and still gives the same answer.
        let (_, again) = try server.post("/v1/chat/completions", ["messages": [Self.question], "temperature": 0, "max_tokens": 24])
        #expect(((again["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String == cliChat.text)
        let details = (again["usage"] as? [String: Any])?["prompt_tokens_details"] as? [String: Any]
        #expect((details?["cached_tokens"] as? Int ?? 0) > 0)
    }

    @Test func seedGivesTheSameTextTwice() throws {
        let body: [String: Any] = ["messages": [Self.question], "temperature": 1.0, "seed": 7, "max_tokens": 24]
        let (_, a) = try server.post("/v1/chat/completions", body)
        let (_, b) = try server.post("/v1/chat/completions", body)
        let text = { (o: [String: Any]) in ((o["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String }
        #expect(text(a) != nil)
        #expect(text(a) == text(b))
    }

    @Test("a json_schema answer has the schema's fields in the order written, as the schema's text gives them")
    func schemaFieldsInTheirOrder() throws {
        // Not alphabetical: a dictionary would put "date" first.
        let schema = #"{"type": "object", "properties": {"nom": {"type": "string"}, "montant": {"type": "number"}, "date": {"type": "string"}}, "required": ["nom", "montant", "date"]}"#
        for format in [#""response_format": {"type": "json_schema", "json_schema": {"name": "facture", "schema": \#(schema)}}"#,
                       #""json_schema": \#(schema)"#] {
            let r = try server.request("POST", "/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "Facture de Marie Curie, 12 mars 2024, 1250 euros. En JSON."}], "temperature": 0, "max_tokens": 60, \#(format)}"#)
            #expect(r.status == 200, "\(r.text)")
            let content = ((r.json?["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String ?? ""
            let positions = ["\"nom\"", "\"montant\"", "\"date\""].map { content.range(of: $0)?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil } && positions[0]! < positions[1]! && positions[1]! < positions[2]!, "\(content)")
        }
    }

    @Test func streamingChatMatchesTheWholeAnswer() throws {
        let base: [String: Any] = ["messages": [Self.question], "temperature": 0, "max_tokens": 20]
        let (_, whole) = try server.post("/v1/chat/completions", base)
        let wholeText = ((whole["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String

        var streamed = base
        streamed["stream"] = true
        streamed["stream_options"] = ["include_usage": true]
        let body = try JSONSerialization.data(withJSONObject: streamed)
        let r = try server.request("POST", "/v1/chat/completions", json: String(decoding: body, as: UTF8.self))
        #expect(r.status == 200)
        #expect(r.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(r.events.last == "[DONE]")
        let chunks = r.eventObjects
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        var text = ""
        var finish: String?
        for chunk in chunks {
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                text += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
                if let f = choice["finish_reason"] as? String { finish = f }
            }
        }
        #expect(text == wholeText)
        #expect(finish != nil)
        #expect(((chunks.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
        let usage = chunks.last?["usage"] as? [String: Any]
        #expect((chunks.last?["choices"] as? [Any])?.isEmpty == true)
        #expect(usage?["completion_tokens"] as? Int == (whole["usage"] as? [String: Any])?["completion_tokens"] as? Int)
    }

    @Test func streamingCompletionAndStopStrings() throws {
        let prompt = "The capital of France is"
        let (_, whole) = try server.post("/v1/completions", ["prompt": prompt, "temperature": 0, "max_tokens": 16])
        let wholeText = (whole["choices"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        let body = try JSONSerialization.data(withJSONObject: ["prompt": prompt, "temperature": 0, "max_tokens": 16, "stream": true])
        let r = try server.request("POST", "/v1/completions", json: String(decoding: body, as: UTF8.self))
        let text = r.eventObjects.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined()
        #expect(text == wholeText)

        // A stop string taken from the greedy answer ends it just before.
        let words = wholeText.split(separator: " ")
        try #require(words.count >= 3)
        let stop = String(words[2])
        for stream in [false, true] {
            let request: [String: Any] = ["prompt": prompt, "temperature": 0, "max_tokens": 16, "stop": [stop], "stream": stream]
            let data = try JSONSerialization.data(withJSONObject: request)
            let answer = try server.request("POST", "/v1/completions", json: String(decoding: data, as: UTF8.self))
            let objects = stream ? answer.eventObjects : [answer.json ?? [:]]
            let choices = objects.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            let got = choices.compactMap { $0["text"] as? String }.joined()
            #expect(!got.contains(stop), "stream \(stream): \(got)")
            #expect(wholeText.hasPrefix(got))
            #expect(choices.compactMap { $0["finish_reason"] as? String }.last == "stop")
        }
    }

    @Test func maxTokensAndLogprobs() throws {
        let (_, short) = try server.post("/v1/chat/completions", ["messages": [Self.question], "temperature": 0, "max_tokens": 3])
        let choice = (short["choices"] as? [[String: Any]])?.first
        #expect(choice?["finish_reason"] as? String == "length")
        #expect((short["usage"] as? [String: Any])?["completion_tokens"] as? Int == 3)

        let (_, lp) = try server.post("/v1/chat/completions", ["messages": [Self.question], "temperature": 0, "max_tokens": 4,
                                                                "logprobs": true, "top_logprobs": 5])
        let content = (((lp["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]) ?? []
        #expect(content.count == 4)
        for entry in content {
            let top = entry["top_logprobs"] as? [[String: Any]] ?? []
            #expect(top.count == 5)
            #expect((entry["logprob"] as? Double ?? 1) <= 0)
            #expect(entry["token"] as? String == top.first?["token"] as? String)   // greedy takes the most likely
            let values = top.compactMap { $0["logprob"] as? Double }
            #expect(values == values.sorted(by: >))
        }

        let (_, legacy) = try server.post("/v1/completions", ["prompt": "The capital of France is", "temperature": 0,
                                                              "max_tokens": 3, "logprobs": 2])
        let l = (legacy["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any]
        #expect((l?["tokens"] as? [String])?.count == 3)
        #expect((l?["token_logprobs"] as? [Double])?.count == 3)
        #expect((l?["top_logprobs"] as? [[String: Double]])?.allSatisfy { $0.count == 2 } == true)
    }
}

/// `loupe generate` run as a command, for comparisons.
enum CLI {
    struct Output {
        let ids: [Int]
        let text: String
    }

    static func generate(prompt: String, tokens: Int) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.executable)
        process.arguments = ["generate", "-m", Paths.smolLM2, "-p", prompt, "--temp", "0", "-n", String(tokens), "--json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return Output(ids: object["ids"] as? [Int] ?? [], text: object["text"] as? String ?? "")
    }
}
