import Foundation
import Testing

/// The pages print what Loupe prints: every `$ loupe …` command of README.md and docs/*.md,
/// and every command typed in a `loupe inspect` session they show, is run on the default model
/// and its output compared with the page (markup: docs/doctest.md).
@Suite struct DocumentationTests {
    /// README.md and every Markdown page in docs/.
    static let pages: [String] = {
        let docs = Loupe.packageRoot.appendingPathComponent("docs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return ["README.md"] + names.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    /// Longer than any page's command takes on a loaded 2-core machine; a command that does not
    /// end (a server, a chat) must be marked skip.
    static let timeout: TimeInterval = 600

    @Test(arguments: DocumentationTests.pages)
    func pagePrintsWhatLoupePrints(page: String) throws {
        let text = try String(contentsOf: Loupe.packageRoot.appendingPathComponent(page), encoding: .utf8)
        let transcript = try DocTranscript(page: page, text: text)
        // Commands run in a fresh directory (they may write files), where Weights/ is the
        // repository's, so paths read as on the page.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doctest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("Weights"),
                                                   withDestinationURL: Loupe.packageRoot.appendingPathComponent("Weights"))
        // The pages' example files (schemas, grammars) are read from docs/examples, as in a clone.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("docs"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("docs/examples"),
                                                   withDestinationURL: Loupe.packageRoot.appendingPathComponent("docs/examples"))
        var checked = 0, failed = 0
        for invocation in transcript.invocations {
            // The default model, whatever $LOUPE_MODEL says where the test runs.
            let input = invocation.isSession ? invocation.typed.map { $0.command + "\n" }.joined() : invocation.input
            let result = try Loupe.run(invocation.arguments, input: input ?? "",
                                       environment: ["LOUPE_MODEL": ""], directory: dir.path, timeout: Self.timeout)
            let first = invocation.output ?? invocation.sessionStart!
            if result.timedOut {
                Issue.record("\(page):\(first.line): `\(first.command)` still ran after \(Int(Self.timeout)) s; mark its block <!-- doctest: skip REASON -->")
                failed += 1
                continue
            }
            // A page may show an error on purpose: its `loupe: …` line, and then status 1.
            let showsError = invocation.output?.expected.contains { $0.hasPrefix("loupe: ") } ?? false
            if result.status != 0, !(showsError && result.status == 1) {
                Issue.record("\(page):\(first.line): `\(first.command)` exited with status \(result.status):\n\(result.stderr)")
            }
            if let shown = invocation.output {
                checked += 1
                // The page shows standard output, or the whole screen when it shows what goes to
                // standard error (`wrote report.html: …`); speeds on standard error it leaves out.
                let stdout = OutputMatch.lines(result.stdout)
                let newline = result.stdout.isEmpty || result.stdout.hasSuffix("\n") ? "" : "\n"
                let screen = OutputMatch.lines(result.stdout + newline + result.stderr)
                if !OutputMatch.matches(expected: shown.expected, actual: stdout, tolerance: shown.tolerance) {
                    failed += compare(shown, screen, page: page) ? 0 : 1
                }
                continue
            }
            // A session: the output before the first echoed prompt, then each command's answer.
            var answers: [(command: String, lines: [String])] = [("", [])]
            for line in OutputMatch.lines(result.stdout) {
                if line.hasPrefix("loupe> ") { answers.append((String(line.dropFirst(7)), [])) }
                else { answers[answers.count - 1].lines.append(line) }
            }
            checked += 1
            failed += compare(invocation.sessionStart!, answers[0].lines, page: page) ? 0 : 1
            for (k, typed) in invocation.typed.enumerated() {
                guard k + 1 < answers.count, answers[k + 1].command == typed.command else {
                    let line = typed.check?.line ?? first.line
                    Issue.record("\(page):\(line): the session stopped before `loupe> \(typed.command)`:\n\(result.stderr)")
                    failed += 1
                    break
                }
                guard let shown = typed.check else { continue }
                checked += 1
                failed += compare(shown, OutputMatch.lines(answers[k + 1].lines.joined(separator: "\n")), page: page) ? 0 : 1
            }
        }
        let skipped = transcript.skipped.reduce(0) { $0 + $1.commands }
        let reasons = transcript.skipped.map { "\n  line \($0.line) (\($0.commands) commands): \($0.reason)" }.joined()
        print("\(page): \(checked) commands checked, \(failed) differ from the page, \(skipped) skipped\(reasons)")
    }

    /// Records an issue with the page's lines and Loupe's when they differ.
    private func compare(_ shown: ShownOutput, _ actual: [String], page: String) -> Bool {
        if OutputMatch.matches(expected: shown.expected, actual: actual, tolerance: shown.tolerance) { return true }
        let tolerance = shown.tolerance.map { ", numbers within \($0)" } ?? ""
        Issue.record("""
            \(page):\(shown.line): `\(shown.command)` prints something else than the page \
            (- page, + loupe; a line … matches any lines\(tolerance)):
            \(OutputMatch.diff(expected: shown.expected, actual: actual, tolerance: shown.tolerance))
            """)
        return false
    }
}

/// The markup itself, on small made-up pages.
@Suite struct DocTranscriptTests {
    @Test func commandsOutputsAndSessions() throws {
        let page = """
            ```
            $ loupe tokenize --special "<|im_start|>user
            Hi"
            1 token
            $ printf 'top 3\\n' | loupe inspect
            loupe> top 3
            ```

            <!-- doctest: skip needs llama.cpp -->
            ```
            $ llama-bench -m x.gguf
            ```

            ```
            $ loupe inspect -p "Hi"
            2 tokens
            loupe> step
            [1/4] hook_embed
            ```
            <!-- doctest: typed step; step -->
            <!-- doctest: tolerance 1e-5 -->
            ```
            loupe> kernels
            max |Δ| 1e-6
            ```
            """
        let t = try DocTranscript(page: "p.md", text: page)
        #expect(t.invocations.count == 3)
        #expect(t.invocations[0].arguments == ["tokenize", "--special", "<|im_start|>user\nHi"])
        #expect(t.invocations[0].output?.expected == ["1 token"])
        #expect(t.invocations[1].input == "top 3\n")
        #expect(t.invocations[1].output?.line == 5)
        #expect(t.skipped.map(\.reason) == ["needs llama.cpp"])
        let session = t.invocations[2]
        #expect(session.arguments == ["inspect", "-p", "Hi"])
        #expect(session.sessionStart?.expected == ["2 tokens"])
        #expect(session.typed.map(\.command) == ["step", "step", "step", "kernels"])
        #expect(session.typed.map { $0.check == nil } == [false, true, true, false])
        #expect(session.typed[3].check?.tolerance == 1e-5)
        #expect(session.checkedCommands == 3)
    }

    @Test func aCommandThatIsNotLoupeMustBeSkipped() {
        #expect(throws: DocTranscript.ParseError.self) {
            try DocTranscript(page: "p.md", text: "```\n$ swift run loupe-benchmarks\n```\n")
        }
    }

    @Test func elisionsTimingsAndTolerances() {
        let actual = ["a", "b", "c", "d"]
        #expect(OutputMatch.matches(expected: ["a", "…", "d"], actual: actual, tolerance: nil))
        #expect(OutputMatch.matches(expected: ["…", "b", "…"], actual: actual, tolerance: nil))
        #expect(OutputMatch.matches(expected: ["a", "b", "c", "d", "..."], actual: actual, tolerance: nil))
        #expect(!OutputMatch.matches(expected: ["a", "…", "b", "a"], actual: actual, tolerance: nil))
        #expect(!OutputMatch.matches(expected: ["a", "b"], actual: actual, tolerance: nil))
        // Model numbers are exact, to the digit.
        #expect(!OutputMatch.line("0.009301  \" New\"", matches: "0.0093  \" New\"", tolerance: nil))
        // Timings are any number, however the columns move.
        #expect(OutputMatch.line("naive      1.675 ms ×1.0     max 0", matches: "naive     12.946 ms ×10.3    max 0", tolerance: nil))
        #expect(OutputMatch.line("t.gguf: 272 tensors in 22.5 s", matches: "t.gguf: 272 tensors in 31 s", tolerance: nil))
        #expect(!OutputMatch.line("272 tensors in 22.5 s", matches: "273 tensors in 22.5 s", tolerance: nil))
        // Marked values within the tolerance.
        #expect(OutputMatch.line("simd max |Δ| 2.861e-06", matches: "simd max |Δ| 3.338e-06", tolerance: 1e-5))
        #expect(!OutputMatch.line("simd max |Δ| 2.861e-06", matches: "simd max |Δ| 3.338e-04", tolerance: 1e-5))
    }

    @Test func theDiffShowsOnlyWhatDiffers() {
        let diff = OutputMatch.diff(expected: ["a", "…", "d", "x"], actual: ["a", "b", "c", "d", "e"])
        #expect(diff == ["  a", "  …", "  d", "- x", "+ e"].joined(separator: "\n"))
    }
}
