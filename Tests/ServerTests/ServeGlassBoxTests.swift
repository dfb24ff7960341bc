import Foundation
import Testing

/// The glass box mounted on `loupe serve`: the page and `/loupe/v1/` on the OpenAI server's
/// port, behind its API key, and an inspection that does not hold up the chat of others.
@Suite(.serialized)
struct ServeGlassBoxTests {
    /// `/` is the page, `/loupe/v1/` the glass box's API (with the key), `/v1/` still OpenAI's.
    @Test func pageAndAPIBesideTheOpenAIRoutes() throws {
        let server = try ServerProcess(["-c", "256"], apiKey: "room-key")
        defer { server.stop() }
        #expect(server.stdout.contains("glass box page is at http://127.0.0.1:\(server.port)/"))

        // The page's static files need no key: a browser loads them, then asks for the key.
        let page = try server.request("GET", "/", key: .some(nil))
        #expect(page.status == 200)
        #expect(page.text.contains("<html") && page.text.contains("/glassbox/app.js"))
        #expect(try server.request("GET", "/glassbox/app.js", key: .some(nil)).status == 200)

        #expect(try server.request("GET", "/loupe/v1/model", key: .some(nil)).status == 401)
        let model = try server.request("GET", "/loupe/v1/model")
        #expect(model.status == 200)
        #expect(model.json?["file"] as? String == "SmolLM2-135M-Instruct.Q4_1.gguf")
        let (status, tokens) = try server.post("/loupe/v1/tokenize", ["prompt": "The capital of France is"])
        #expect(status == 200)
        #expect((tokens["tokens"] as? [[String: Any]])?.map { $0["id"] as? Int } == [504, 3575, 282, 4649, 314])

        // The OpenAI routes are unchanged: an unknown path is still OpenAI's 404.
        #expect(try server.request("GET", "/v1/nothing").status == 404)
        let (chat, _) = try server.post("/v1/chat/completions", ["messages": [["role": "user", "content": "Hi"]], "max_tokens": 2])
        #expect(chat == 200)
    }

    /// A long inspection (the forward pass of 600 tokens, recorded, and its logit lens) and a
    /// chat request at the same time: the chat answers before the inspection ends, because the
    /// glass box runs on its own queue and the engine on its own thread (they share only the
    /// read-only weights). Times are printed, not asserted: the machine is shared.
    @Test func inspectingDoesNotBlockChat() throws {
        let server = try ServerProcess(["-c", "256"])
        defer { server.stop() }
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 60)   // 600 tokens
        let start = Date()
        let inspectEnd = Mutex2<[String: Date]>([:])
        // What came back when it was not a 200, for the failure message.
        let inspectOutcome = Mutex2<[String: String]>([:])
        let inspect = Thread {
            let r = Result { try server.post("/loupe/v1/lens", ["prompt": long, "last": 8], timeout: 600) }
            inspectEnd.set("end", Date())
            let ok = (try? r.get())?.0 == 200
            inspectEnd.set(ok ? "ok" : "failed", Date())
            switch r {
            case .success(let (status, body)): inspectOutcome.set("outcome", "status \(status): \(body)")
            case .failure(let error): inspectOutcome.set("outcome", "no answer: \(error)")
            }
        }
        inspect.start()
        // Wait until the inspection's forward pass is running.
        var busy = false
        while !busy, Date().timeIntervalSince(start) < 60 {
            busy = (try? server.request("GET", "/loupe/v1/progress").json?["busy"] as? Bool) == true
            if !busy { Thread.sleep(forTimeInterval: 0.02) }
        }
        #expect(busy, "the inspection did not start")
        let chatStart = Date()
        let (status, answer) = try server.post("/v1/chat/completions", [
            "messages": [["role": "user", "content": "What is the capital of France?"]], "max_tokens": 8, "temperature": 0])
        let chatEnd = Date()
        #expect(status == 200)
        #expect(((answer["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] is String)
        let stillInspecting = inspectEnd.value["end"] == nil
        while inspectEnd.value["end"] == nil, Date().timeIntervalSince(start) < 600 { Thread.sleep(forTimeInterval: 0.05) }
        let end = try #require(inspectEnd.value["end"])
        #expect(inspectEnd.value["ok"] != nil, "the inspection failed: \(inspectOutcome.value["outcome"] ?? "?")")
        print(String(format: "inspect of 600 tokens: %.2f s; chat of 8 tokens started %.2f s in, took %.2f s, %@",
                     end.timeIntervalSince(start), chatStart.timeIntervalSince(start), chatEnd.timeIntervalSince(chatStart),
                     stillInspecting ? "done while the inspection was still running" : "done after the inspection"))
        #expect(stillInspecting, "the chat waited for the inspection to end")
    }
}
