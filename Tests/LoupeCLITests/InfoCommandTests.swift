import ConformanceData
import Foundation
import Testing

@Suite struct InfoCommandTests {
    @Test func showsSmolLM2() throws {
        let r = try Loupe.run(["info", "-m", Loupe.smolLM2])
        #expect(r.status == 0, "\(r.stderr)")
        // "label   value" lines, label and value separated by two spaces or more
        var fields: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let gap = trimmed.range(of: "  ") else { continue }
            fields[String(trimmed[..<gap.lowerBound])] = trimmed[gap.upperBound...].trimmingCharacters(in: .whitespaces)
        }
        #expect(fields["architecture"] == "llama")
        #expect(fields["block_count"] == "30")
        #expect(fields["embedding_length"] == "576")
        #expect(fields["attention.head_count"] == "9")
        #expect(fields["attention.head_count_kv"] == "3")
        #expect(fields["vocabulary"] == "49,152 tokens")
        #expect(fields["chat template"] == "present")
        #expect(fields["file type"] == "Q4_1")
        #expect(r.stdout.contains("tensors: 272"))
        #expect(fields["Q4_1"]?.hasPrefix("210 tensors") == true)
        #expect(fields["Q8_0"]?.hasPrefix("1 tensors") == true)
        #expect(fields["F32"]?.hasPrefix("61 tensors") == true)
    }

    @Test func defaultModelIsSmolLM2() throws {
        let r = try Loupe.run(["info"], environment: ["LOUPE_MODEL": ""], directory: Loupe.packageRoot.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("SmolLM2-135M-Instruct.Q4_1.gguf"))
    }

    @Test func jsonParsesWithTensors() throws {
        let r = try Loupe.run(["info", "-m", Loupe.smolLM2, "--json"])
        #expect(r.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["architecture"] as? String == "llama")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["llama.block_count"] as? Int == 30)
        #expect(metadata["tokenizer.ggml.tokens"] == nil, "arrays are not scalar metadata")
        let tensors = try #require(object["tensors"] as? [[String: Any]])
        #expect(tensors.count == 272)
        let q = try #require(tensors.first { $0["name"] as? String == "blk.0.attn_q.weight" })
        #expect(q["type"] as? String == "Q4_1")
        #expect(q["shape"] as? [Int] == [576, 576])
        #expect(q["bytes"] as? Int == 207_360)
    }

    @Test func everyConformanceFile() throws {
        let files = try Conformance.tinyModels.map(Conformance.tinyModel)
            + Conformance.architectures.flatMap { arch in try Conformance.architectureTypes.map { try Conformance.archModel(arch, $0) } }
            + ["gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"].map(Conformance.vocabulary)
        #expect(files.count == 34)
        for f in files {
            let r = try Loupe.run(["info", "--tensors", "--json", "-m", f])
            #expect(r.status == 0, "\(f): \(r.stderr)")
            #expect((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) != nil, "\(f)")
        }
    }

    /// A broken file: exit status 1 and one line on stderr naming the file and the offset.
    @Test func malformedFilesExitWithOneLine() throws {
        let source = URL(fileURLWithPath: try Conformance.tinyModel("tiny-q4_0"))
        let whole = try Data(contentsOf: source)
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-broken-\(getpid()).gguf")
        defer { try? FileManager.default.removeItem(at: broken) }
        var cuts = Array(stride(from: 0, to: 12_000, by: 97 * 7))
        cuts += stride(from: 12_000, to: whole.count, by: 97 * 997)
        for n in cuts {
            try whole.prefix(n).write(to: broken)
            let r = try Loupe.run(["info", "-m", broken.path])
            #expect(r.status == 1, "cut at \(n)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("loupe: \(broken.path): "), "cut at \(n): \(r.stderr)")
        }
        var flipped = whole
        flipped[0] ^= 0x20
        try flipped.write(to: broken)
        let r = try Loupe.run(["info", "-m", broken.path])
        #expect(r.status == 1 && r.stderr.contains("offset 0: not a GGUF file"))
    }

    @Test func missingFileIsNamed() throws {
        let r = try Loupe.run(["info", "-m", "/nonexistent/model.gguf"])
        #expect(r.status == 1)
        #expect(r.stderr == "loupe: /nonexistent/model.gguf: cannot open: No such file or directory\n")
    }
}
