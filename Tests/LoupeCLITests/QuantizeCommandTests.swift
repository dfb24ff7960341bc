import Foundation
import Testing

/// `loupe quantize` as a student runs it: the written file is what llama-quantize --pure writes.
@Suite struct QuantizeCommandTests {
    static let tiny = Loupe.shared.appendingPathComponent("conformance/tiny")

    @Test(.enabled(if: Loupe.hasShared, "needs ../shared"))
    func requantizesTheTinyModelLikeLlamaQuantize() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-quantize-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Loupe.run(["quantize", Self.tiny.appendingPathComponent("tiny-f32.gguf").path, out, "q4_0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("blk.0.attn_q.weight") && r.stdout.contains("F32 → Q4_0"))
        #expect(r.stdout.contains("output_norm.weight") && r.stdout.contains("F32 (copied)"))
        // llama-quantize writes tensors in another order and its own metadata layout, so compare
        // with `loupe info`, which lists what matters: the type of every tensor and the file type.
        let ours = try Loupe.run(["info", "-m", out])
        let theirs = try Loupe.run(["info", "-m", Self.tiny.appendingPathComponent("tiny-q4_0.gguf").path])
        #expect(ours.status == 0 && theirs.status == 0)
        let typeLines = { (s: String) in s.split(separator: "\n").filter { $0.contains("Q4_0") }.map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(typeLines(ours.stdout).count == 2)   // "file type  Q4_0" and the Q4_0 tensor count
        #expect(typeLines(ours.stdout) == typeLines(theirs.stdout))
    }

    /// A mix by its llama.cpp name: tiny-q4_k_m.gguf is llama-quantize's Q4_K_M of tiny-f32.gguf.
    @Test(.enabled(if: Loupe.hasShared, "needs ../shared"))
    func writesLlamaCppsQ4KMMix() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-quantize-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Loupe.run(["quantize", Self.tiny.appendingPathComponent("tiny-f32.gguf").path, out, "q4_k_m"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("output.weight") && r.stdout.contains("F32 → Q6_K"))
        #expect(r.stdout.contains("(Q4_K_M)"))
        let ours = try Loupe.run(["info", "--tensors", "-m", out])
        let theirs = try Loupe.run(["info", "--tensors", "-m", Self.tiny.appendingPathComponent("tiny-q4_k_m.gguf").path])
        #expect(ours.status == 0 && theirs.status == 0)
        // Same lines but the file name and the tensors' order and offsets: compare sorted
        // lines that name a type.
        let typeLines = { (s: String) in
            s.split(separator: "\n").filter { $0.contains("Q4_K") || $0.contains("Q6_K") }
                .map { $0.split(separator: " ").filter { !$0.allSatisfy(\.isNumber) }.joined(separator: " ") }.sorted()
        }
        #expect(!typeLines(ours.stdout).isEmpty)
        #expect(typeLines(ours.stdout) == typeLines(theirs.stdout))
    }

    @Test func rejectsUnknownTypes() throws {
        let r = try Loupe.run(["quantize", "in.gguf", "out.gguf", "IQ2_XS"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("unknown or unsupported type 'IQ2_XS'"))
        #expect(r.stderr.contains("Q4_K"))
        #expect(r.stderr.contains("Q4_K_M"))
    }

    @Test func reportsAMissingInputFile() throws {
        let r = try Loupe.run(["quantize", "/nonexistent/model.gguf", "/tmp/never-written.gguf", "Q8_0"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("loupe: /nonexistent/model.gguf: cannot open"))
    }
}
