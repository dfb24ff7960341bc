import Foundation
import Testing

@Suite struct ReportCommandTests {
    /// A scratch directory for the page, removed by the caller.
    private func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-report-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func writesTheWholeModelForSmolLM2() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("report.html").path
        let r = try Loupe.run(["report", "-m", Loupe.smolLM2, "-p", "The capital of France is", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("wrote \(out): 5 tokens, 30 layers × 9 heads"), "\(r.stderr)")
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("SmolLM2-135M-Instruct.Q4_1.gguf (Q4_1)"))
        #expect(page.components(separatedBy: "<figure class=\"layer\"").count - 1 == 30)
        #expect(page.components(separatedBy: "class=\"head\"").count - 1 == 30 * 9)
        for label in ["␣capital", "␣France", "␣is"] { #expect(page.contains("<b>\(label)</b>"), "\(label)") }
        // The lens has 30 rows; the norm chart starts at the embeddings.
        #expect(page.components(separatedBy: "class=\"lens-token\"").count - 1 == 30 * 5)
        #expect(page.contains(">emb</text>"))
        #expect(!page.contains("<script"))
    }

    @Test func refusesLongPromptsAndUnwritableFiles() throws {
        let long = try Loupe.run(["report", "-m", Loupe.smolLM2, "-p", "one two three four", "--max-tokens", "2",
                                  "--out", "/dev/null"])
        #expect(long.status == 1)
        #expect(long.stderr.contains("the prompt has 4 tokens, more than --max-tokens 2"), "\(long.stderr)")
        let bad = try Loupe.run(["report", "-m", Loupe.smolLM2, "-p", "Hi", "--out", "/nonexistent-dir/report.html"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("cannot write /nonexistent-dir/report.html"), "\(bad.stderr)")
    }

    @Test func reportsAMissingModelAndMissingPrompt() throws {
        let missing = try Loupe.run(["report", "-m", "/nonexistent/model.gguf", "-p", "Hi", "--out", "/dev/null"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("loupe: "), "\(missing.stderr)")
        #expect(missing.stderr.contains("/nonexistent/model.gguf"), "\(missing.stderr)")
        let noPrompt = try Loupe.run(["report", "-m", "/nonexistent/model.gguf"])
        #expect(noPrompt.status == 64, "usage error")
        #expect(noPrompt.stderr.contains("--prompt"), "\(noPrompt.stderr)")
    }
}
