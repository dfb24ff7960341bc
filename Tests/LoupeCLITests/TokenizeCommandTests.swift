import ConformanceData
import Foundation
import Testing

/// `loupe tokenize` and `loupe detokenize` on llama.cpp's GPT-2 vocabulary (Weights/llama.cpp).
@Suite struct TokenizeCommandTests {
    static var vocab: String { get throws { try Conformance.vocabulary("gpt-2") } }

    /// The first cases of llama.cpp's own test file for this vocabulary.
    static func cases() throws -> [(text: String, ids: [Int])] {
        let input = try String(contentsOfFile: vocab + ".inp", encoding: .utf8).components(separatedBy: "\n__ggml_vocab_test__\n")
        let output = try String(contentsOfFile: vocab + ".out", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return zip(input, output).prefix(16).map { ($0, $1.split(separator: " ").compactMap { Int($0) }) }
    }

    @Test func jsonMatchesLlamaCpp() throws {
        for (text, ids) in try Self.cases() where !text.isEmpty {
            let r = try Loupe.run(["tokenize", "-m", Self.vocab, "--no-bos", "--json", text])
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            #expect(object["ids"] as? [Int] == ids, "\(text.debugDescription)")
            #expect((object["pieces"] as? [String])?.count == ids.count)
        }
    }

    @Test func jsonlReadsOneStringPerLine() throws {
        let cases = try Self.cases().filter { !$0.text.isEmpty }
        let input = try cases.map { String(decoding: try JSONSerialization.data(withJSONObject: $0.text, options: .fragmentsAllowed), as: UTF8.self) }
            .joined(separator: "\n") + "\n"
        let r = try Loupe.run(["tokenize", "-m", Self.vocab, "--no-bos", "--jsonl"], input: input)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == cases.count)
        for (line, c) in zip(lines, cases) {
            #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Int] == c.ids, "\(c.text.debugDescription)")
        }
        let bad = try Loupe.run(["tokenize", "-m", Self.vocab, "--jsonl"], input: "not json\n")
        #expect(bad.status == 1 && bad.stderr.contains("line 1"))
    }

    @Test func tableShowsPiecesAndStandardInput() throws {
        let r = try Loupe.run(["tokenize", "-m", Self.vocab], input: "Hello world\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("␣world"))
        #expect(r.stdout.contains("⏎"))
        #expect(r.stdout.hasSuffix("3 tokens for 12 bytes\n"))
    }

    @Test func specialTokensOnlyWithTheFlag() throws {
        let plain = try Loupe.run(["tokenize", "-m", Self.vocab, "--json", "<|endoftext|>"])
        let special = try Loupe.run(["tokenize", "-m", Self.vocab, "--json", "--special", "<|endoftext|>"])
        let plainIDs = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])["ids"] as? [Int]
        let specialIDs = try #require(try JSONSerialization.jsonObject(with: Data(special.stdout.utf8)) as? [String: Any])["ids"] as? [Int]
        #expect(specialIDs == [50256])
        #expect((plainIDs?.count ?? 0) > 1)
    }

    @Test func detokenizeRoundTripsAndNamesBadIDs() throws {
        for (text, ids) in try Self.cases() where !text.isEmpty {
            let r = try Loupe.run(["detokenize", "-m", Self.vocab] + ids.map(String.init))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == text + "\n", "\(text.debugDescription)")
        }
        let bad = try Loupe.run(["detokenize", "-m", Self.vocab, "15496", "99999"])
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("99999"))
        let word = try Loupe.run(["detokenize", "-m", Self.vocab, "abc"])
        #expect(word.status == 1 && word.stderr.contains("'abc'"))
    }
}
