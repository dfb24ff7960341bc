import ConformanceData
import Foundation
import Testing

/// `loupe generate` end to end, against the SmolLM2 reference of the conformance data.
@Suite struct GenerateCommandTests {
    struct Reference {
        let prompt: String
        let ids: [Int]
        let exactGreedy: [Int]
        let exactMargins: [Double]
    }

    static func references() throws -> [Reference] {
        let root = try JSONSerialization.jsonObject(with: Conformance.data("smollm2/smollm2-135m-q4_1.ref.json")) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map {
            Reference(prompt: $0["prompt"] as! String, ids: $0["ids"] as! [Int],
                      exactGreedy: $0["exact_greedy"] as! [Int], exactMargins: $0["exact_margins"] as! [Double])
        }
    }

    static func json(_ output: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    }

    /// `--temp 0 -n 32 --json` gives llama.cpp's prompt ids and follows the exact greedy
    /// continuation up to the first step whose margin is below `margin`.
    func followsExactGreedy(backend: String, margin: Double) throws {
        for r in try Self.references() {
            let run = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", r.prompt, "--temp", "0", "-n", "32",
                                     "--json", "--backend", backend])
            #expect(run.status == 0, "\(run.stderr)")
            let object = try Self.json(run.stdout)
            #expect(object["prompt_ids"] as? [Int] == r.ids)
            let ids = object["ids"] as? [Int] ?? []
            var checked = 0
            for (step, expected) in r.exactGreedy.enumerated() {
                if r.exactMargins[step] < margin { break }
                // The reference stops at EOS; `ids` excludes it.
                if step == ids.count { #expect(expected == 2, "\(r.prompt): ended early at \(step)"); break }
                #expect(ids[step] == expected, "\(r.prompt): step \(step)")
                checked += 1
            }
            let timings = object["timings"] as? [String: Double]
            #expect(timings?["prompt_tokens_per_s"] != nil && timings?["gen_tokens_per_s"] != nil)
            print("generate --backend \(backend) '\(r.prompt)': \(checked) steps checked; \(run.stderr.trimmingCharacters(in: .newlines))")
        }
    }

    @Test("default backend follows exact_greedy up to the first margin below 0.5")
    func defaultBackendGreedy() throws {
        try followsExactGreedy(backend: "auto", margin: 0.5)
    }

    @Test("naive follows exact_greedy up to the first margin below 0.05")
    func naiveGreedy() throws {
        try followsExactGreedy(backend: "naive", margin: 0.05)
    }

    @Test("streams coherent English and reports speed like llama.cpp")
    func streamsText() throws {
        let run = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "The capital of France is", "--temp", "0", "-n", "8"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("The capital of France is Paris"))
        #expect(run.stderr.contains("prompt eval: 5 tokens,") && run.stderr.contains("tok/s; eval: "))
    }

    @Test("the same seed gives the same text")
    func seeded() throws {
        let arguments = ["generate", "-m", Loupe.smolLM2, "-p", "Once upon a time", "-n", "12", "--seed", "42",
                         "--temp", "1.0", "--json"]
        let a = try Self.json(Loupe.run(arguments).stdout)["ids"] as? [Int]
        let b = try Self.json(Loupe.run(arguments).stdout)["ids"] as? [Int]
        #expect(a != nil && a == b)
        #expect(a?.count == 12)
    }

    @Test("generation stops at the context limit with a message")
    func contextLimit() throws {
        let run = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "The capital of France is", "--temp", "0",
                                 "-n", "100", "-c", "9", "--json"])
        #expect(run.status == 0)
        let object = try Self.json(run.stdout)
        // 4 tokens fill positions 5…8; the 5th is printed but there is no room to evaluate it.
        #expect((object["ids"] as? [Int])?.count == 5)
        #expect(object["stop"] as? String == "contextFull")
        #expect(run.stderr.contains("context full (-c 9): stopped after 5 generated tokens"))
    }

    @Test("bad requests are refused with a clear message", arguments: [
        (["-p", "x", "--backend", "gpu"], "unknown backend 'gpu'"),
        (["-p", "x", "--temp", "nan"], "--temp is NaN"),
        (["-p", "x", "-n", "-2"], "-n must be"),
        (["-p", ""], "the prompt is empty"),
        (["-p", "The capital of France is", "-c", "3"], "the prompt is 5 tokens; the context holds 3"),
        (["-p", "x", "-c", "100000"], "context length 100000 is not usable"),
        ([], "give a prompt with -p TEXT or -f FILE"),
        (["-p", "x", "-t", "0"], "thread count must be at least 1"),
    ])
    func refusals(arguments: [String], message: String) throws {
        let run = try Loupe.run(["generate", "-m", Loupe.smolLM2] + arguments)
        #expect(run.status == 1)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("-n 0 evaluates the prompt and generates nothing; --top-k 0 and --top-p 0 are accepted")
    func edgeValues() throws {
        let zero = try Self.json(Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "Hi", "-n", "0", "--json"]).stdout)
        #expect((zero["ids"] as? [Int])?.isEmpty == true)
        // top-p 0 keeps only the most likely token: the same as greedy.
        let topP = try Self.json(Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "The capital of France is", "-n", "6",
                                            "--top-p", "0", "--top-k", "0", "--json"]).stdout)
        let greedy = try Self.json(Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "The capital of France is", "-n", "6",
                                              "--temp", "0", "--json"]).stdout)
        #expect(topP["ids"] as? [Int] == greedy["ids"] as? [Int])
    }
}
