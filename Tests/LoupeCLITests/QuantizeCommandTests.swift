import ConformanceData
import Foundation
import GGUF
import Testing

/// `loupe quantize` as a student runs it: the written file holds the tensors llama-quantize
/// writes (checked against the fingerprints of llama.cpp's files, `llama-quantize.json`).
@Suite struct QuantizeCommandTests {
    /// Runs `loupe quantize tiny-f32.gguf OUT type`, and returns the output and how its tensors
    /// differ from llama.cpp's `key` file.
    func quantizeTiny(_ type: String, like key: String) throws -> (Loupe.Result, [String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-quantize-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Loupe.run(["quantize", Conformance.tinyModel("tiny-f32"), out, type])
        #expect(r.status == 0, "\(r.stderr)")
        let entry = try #require(try Conformance.quantizedFiles()[key])
        return (r, Conformance.differences(try GGUFFile(path: out), entry))
    }

    @Test func requantizesTheTinyModelLikeLlamaQuantize() throws {
        let (r, differences) = try quantizeTiny("q4_0", like: "tiny/tiny-q4_0")
        #expect(r.stdout.contains("blk.0.attn_q.weight") && r.stdout.contains("F32 → Q4_0"))
        #expect(r.stdout.contains("output_norm.weight") && r.stdout.contains("F32 (copied)"))
        #expect(differences.isEmpty, "tensors unlike llama-quantize's: \(differences)")
    }

    /// A mix by its llama.cpp name: tiny-q4_k_m is llama-quantize's Q4_K_M of tiny-f32.gguf.
    @Test func writesLlamaCppsQ4KMMix() throws {
        let (r, differences) = try quantizeTiny("q4_k_m", like: "tiny/tiny-q4_k_m")
        #expect(r.stdout.contains("output.weight") && r.stdout.contains("F32 → Q6_K"))
        #expect(r.stdout.contains("(Q4_K_M)"))
        #expect(differences.isEmpty, "tensors unlike llama-quantize's: \(differences)")
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
