import Foundation

// MARK: - What a page shows

/// One command shown in a page and the output the page shows under it.
struct ShownOutput {
    /// 1-based line of the command in the page.
    let line: Int
    /// The command as the page shows it (`$ loupe …` or `loupe> …`).
    let command: String
    /// The lines the page shows; a line `…` or `...` stands for any number of lines.
    let expected: [String]
    /// Numbers may differ from the page's by this much (`<!-- doctest: tolerance T -->`).
    let tolerance: Double?
}

/// One run of `loupe`: a `$ loupe …` command, or an inspect session that spans several blocks.
struct Invocation {
    /// Arguments after `loupe`.
    var arguments: [String]
    /// Standard input: `printf '…' |`, or the commands typed in a session.
    var input: String?
    /// Plain command: one check of the whole standard output.
    var output: ShownOutput?
    /// Session: the output before the first prompt, then one entry per typed command
    /// (nil check for a command the page says was typed but does not show).
    var sessionStart: ShownOutput?
    var typed: [(command: String, check: ShownOutput?)] = []
    var isSession: Bool { sessionStart != nil }

    /// How many of the page's commands this run checks.
    var checkedCommands: Int { isSession ? 1 + typed.filter { $0.check != nil }.count : 1 }
}

/// A block the page marks `<!-- doctest: skip REASON -->`.
struct SkippedBlock {
    let line: Int
    let commands: Int
    let reason: String
}

/// A page read as transcripts of `loupe` runs.
///
/// The markup (documented in docs/doctest.md):
/// - a fenced block whose first line starts with `$ ` is a transcript: each `$ COMMAND` line is
///   followed by its output; `printf 'A\nB\n' | loupe inspect` pipes its text in; a
///   `$ loupe inspect …` followed by `loupe> CMD` lines is a session, which later blocks made of
///   `loupe> CMD` lines continue (one process, the commands typed in page order);
/// - a line `…` (or `...`) in an output matches any number of lines, including none, and a line
///   ending with `…` any line that begins as it does;
/// - timings and speeds (a number followed by ns, µs, ms, s, tok/s, GB/s, GFLOP/s, or preceded by
///   ×) match any number;
/// - HTML comments on the lines just before the fence: `<!-- doctest: skip REASON -->` (not run),
///   `<!-- doctest: tolerance 1e-5 -->` (numbers within 1e-5), `<!-- doctest: typed CMD; CMD -->`
///   (session commands typed before the block's, their output not shown).
struct DocTranscript {
    var invocations: [Invocation] = []
    var skipped: [SkippedBlock] = []

    struct ParseError: Error, CustomStringConvertible {
        let page: String, line: Int, message: String
        var description: String { "\(page):\(line): \(message)" }
    }

    enum Directive {
        case skip(String)
        case tolerance(Double)
        case typed([String])
    }

    init(page: String, text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var directives: [(line: Int, directive: Directive)] = []
        var session: Int?  // index in invocations of the open `loupe inspect` session
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("<!-- doctest:") {
                directives.append((i + 1, try Self.directive(trimmed, page: page, line: i + 1)))
                i += 1
                continue
            }
            guard trimmed.hasPrefix("```") else {
                if !trimmed.isEmpty, let d = directives.first {
                    throw ParseError(page: page, line: d.line, message: "a doctest comment must be just before a ``` block")
                }
                i += 1
                continue
            }
            let fence = i + 1
            var body: [String] = []
            i += 1
            while i < lines.count, !lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                body.append(lines[i])
                i += 1
            }
            i += 1  // closing fence
            try block(body, firstLine: fence + 1, directives: directives.map(\.directive),
                      page: page, session: &session)
            directives = []
        }
    }

    private static func directive(_ comment: String, page: String, line: Int) throws -> Directive {
        guard comment.hasSuffix("-->") else {
            throw ParseError(page: page, line: line, message: "a doctest comment is one line ending with -->")
        }
        let body = comment.dropFirst("<!-- doctest:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
        let word = body.prefix { !$0.isWhitespace }
        let rest = body.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
        switch word {
        case "skip" where !rest.isEmpty: return .skip(rest)
        case "tolerance":
            if let t = Double(rest) { return .tolerance(t) }
        case "typed" where !rest.isEmpty:
            return .typed(rest.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
        default: break
        }
        throw ParseError(page: page, line: line, message:
            "unknown doctest comment '\(body)': use 'skip REASON', 'tolerance NUMBER' or 'typed CMD; CMD'")
    }

    private mutating func block(_ body: [String], firstLine: Int, directives: [Directive],
                                page: String, session: inout Int?) throws {
        let commandCount = body.filter { $0.hasPrefix("$ ") || $0.hasPrefix("loupe> ") }.count
        var tolerance: Double?, typedFirst: [String] = []
        for d in directives {
            switch d {
            case .skip(let reason):
                guard commandCount > 0 else {
                    throw ParseError(page: page, line: firstLine - 1, message: "'skip' before a block without commands")
                }
                skipped.append(SkippedBlock(line: firstLine - 1, commands: commandCount, reason: reason))
                return
            case .tolerance(let t): tolerance = t
            case .typed(let commands): typedFirst += commands
            }
        }
        if body.first?.hasPrefix("$ ") == true {
            guard typedFirst.isEmpty else {
                throw ParseError(page: page, line: firstLine - 1, message: "'typed' only goes before a block of loupe> lines")
            }
            try transcript(body, firstLine: firstLine, tolerance: tolerance, page: page, session: &session)
        } else if body.first?.hasPrefix("loupe> ") == true {
            guard let s = session else {
                throw ParseError(page: page, line: firstLine, message: "loupe> lines without a `$ loupe inspect` before them")
            }
            for command in typedFirst { invocations[s].typed.append((command, nil)) }
            invocations[s].typed += Self.typedCommands(body, firstLine: firstLine, tolerance: tolerance).typed
        } else if !directives.isEmpty {
            throw ParseError(page: page, line: firstLine - 1, message: "a doctest comment before a block that is not a transcript")
        } else if commandCount > 0 {
            throw ParseError(page: page, line: firstLine, message: "a block with commands must start with one (`$ ` or `loupe> `)")
        }
    }

    /// `$ COMMAND` lines, each followed by its output.
    private mutating func transcript(_ body: [String], firstLine: Int, tolerance: Double?,
                                     page: String, session: inout Int?) throws {
        var j = 0
        while j < body.count {
            let line = firstLine + j
            var command = String(body[j].dropFirst(2))
            j += 1
            while Shell.words(command) == nil, j < body.count {  // a quoted newline
                command += "\n" + body[j]
                j += 1
            }
            var output: [String] = []
            while j < body.count, !body[j].hasPrefix("$ ") {
                output.append(body[j])
                j += 1
            }
            guard let pipeline = Shell.words(command) else {
                throw ParseError(page: page, line: line, message: "unbalanced quotes in `\(command)`")
            }
            var input: String?, words = pipeline.last!
            if pipeline.count == 2, pipeline[0].count == 2, pipeline[0][0] == "printf" {
                input = Shell.printf(pipeline[0][1])
            } else if pipeline.count != 1 {
                words = []
            }
            guard words.first == "loupe" else {
                throw ParseError(page: page, line: line, message:
                    "`\(command)` is not a loupe command: mark the block <!-- doctest: skip REASON -->")
            }
            var run = Invocation(arguments: Array(words.dropFirst()), input: input)
            if input == nil, words.count > 1, words[1] == "inspect" {
                let (initial, typed) = Self.typedCommands(output, firstLine: line + 1, tolerance: tolerance)
                run.sessionStart = ShownOutput(line: line, command: "$ " + command, expected: initial, tolerance: tolerance)
                run.typed = typed
                invocations.append(run)
                session = invocations.count - 1
            } else {
                run.output = ShownOutput(line: line, command: "$ " + command, expected: output, tolerance: tolerance)
                invocations.append(run)
            }
        }
    }

    /// Splits a session's lines at each `loupe> CMD`: what comes before the first, and each command.
    private static func typedCommands(_ body: [String], firstLine: Int, tolerance: Double?)
        -> (initial: [String], typed: [(command: String, check: ShownOutput?)]) {
        var initial: [String] = []
        var typed: [(command: String, check: ShownOutput?)] = []
        var current: (line: Int, command: String, output: [String])?
        func close() {
            if let c = current {
                typed.append((c.command, ShownOutput(line: c.line, command: "loupe> " + c.command,
                                                     expected: c.output, tolerance: tolerance)))
            }
        }
        for (k, line) in body.enumerated() {
            if line.hasPrefix("loupe> ") {
                close()
                current = (firstLine + k, String(line.dropFirst(7)), [])
            } else if current != nil {
                current!.output.append(line)
            } else {
                initial.append(line)
            }
        }
        close()
        return (initial, typed)
    }
}

// MARK: - Shell words

/// The little of the shell the pages use: words, quotes, one pipe, printf's escapes.
enum Shell {
    /// The pipeline's commands as words; nil while a quote is open.
    static func words(_ line: String) -> [[String]]? {
        var pipeline: [[String]] = [], words: [String] = [], word = "", inWord = false
        var quote: Character?
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if let q = quote {
                if c == q { quote = nil }
                else if q == "\"", c == "\\", let n = chars.first, "\"\\$`".contains(n) { word.append(chars.removeFirst()) }
                else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == "\\", let n = chars.popFirst() {
                word.append(n)
                inWord = true
            } else if c == " " || c == "\t" || c == "|" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
                if c == "|" {
                    pipeline.append(words)
                    words = []
                }
            } else if c == "#", !inWord {
                break  // a comment
            } else {
                word.append(c)
                inWord = true
            }
        }
        if quote != nil { return nil }
        if inWord { words.append(word) }
        pipeline.append(words)
        return pipeline
    }

    /// The text `printf FORMAT` writes (escapes \n \t \\ and %%; the pages need no more).
    static func printf(_ format: String) -> String {
        var out = "", chars = Array(format)[...]
        while let c = chars.popFirst() {
            switch (c, chars.first) {
            case ("\\", "n"?): out += "\n"; chars.removeFirst()
            case ("\\", "t"?): out += "\t"; chars.removeFirst()
            case ("\\", "\\"?): out += "\\"; chars.removeFirst()
            case ("%", "%"?): out += "%"; chars.removeFirst()
            default: out.append(c)
            }
        }
        return out
    }
}

// MARK: - Comparing an output with the page

enum OutputMatch {
    /// A line that stands for any number of lines.
    static func isElision(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t == "…" || t == "..."
    }

    /// Lines without trailing spaces, without the blank lines at the end.
    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Whether `actual` is what `expected` shows, elisions and tolerances included.
    static func matches(expected: [String], actual: [String], tolerance: Double?) -> Bool {
        var expected = expected
        while expected.last?.isEmpty == true { expected.removeLast() }
        // Runs of lines between elisions; the first must start the output, the last end it,
        // the others are found in order, each as early as possible (which cannot miss a match).
        var runs: [[String]] = [[]]
        for line in expected {
            if isElision(line) { runs.append([]) } else { runs[runs.count - 1].append(line) }
        }
        func matchesAt(_ run: [String], _ start: Int) -> Bool {
            start + run.count <= actual.count
                && run.indices.allSatisfy { line(run[$0], matches: actual[start + $0], tolerance: tolerance) }
        }
        if runs.count == 1 { return runs[0].count == actual.count && matchesAt(runs[0], 0) }
        guard matchesAt(runs[0], 0) else { return false }
        var position = runs[0].count
        let last = runs.count - 1
        for run in runs[1 ..< last] {
            guard let found = (position ... max(position, actual.count)).first(where: { matchesAt(run, $0) }) else { return false }
            position = found + run.count
        }
        let tail = actual.count - runs[last].count
        return tail >= position && matchesAt(runs[last], tail)
    }

    /// One line: the same text and numbers, but any timing, and numbers within the tolerance.
    static func line(_ expected: String, matches actual: String, tolerance: Double?) -> Bool {
        if expected == actual { return true }
        // A long line cut short: `… 0.1573 …` shows the line's beginning.
        if expected.hasSuffix("…"), !isElision(expected) {
            let start = String(expected.dropLast())
            return actual.hasPrefix(start)
                || line(start, matches: String(actual.prefix(start.count)), tolerance: tolerance)
        }
        let e = fields(expected), a = fields(actual)
        guard e.count == a.count else { return false }
        var loose = false  // a number matched without being equal: the columns may have moved
        for (x, y) in zip(e, a) {
            switch (x, y) {
            case (.number(let s, let timing), .number(let t, let timing2)):
                if timing && timing2 { loose = true }
                else if s == t { continue }
                else if let tolerance, let u = Double(s), let v = Double(t), abs(u - v) <= tolerance { loose = true }
                else { return false }
            case (.text, .text): continue
            default: return false
            }
        }
        func text(_ fields: [Field]) -> [String] {
            fields.compactMap {
                guard case .text(let s) = $0 else { return nil }
                return loose ? s.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") : s
            }
        }
        return text(e) == text(a)
    }

    enum Field {
        case text(String)
        case number(String, timing: Bool)
    }

    /// The line cut into text and numbers; a number followed by a unit of time or speed, or
    /// preceded by ×, is a timing.
    static func fields(_ line: String) -> [Field] {
        let chars = Array(line)
        var fields: [Field] = [], text = "", i = 0
        func isDigit(_ k: Int) -> Bool { k < chars.count && chars[k].isASCII && chars[k].isNumber }
        while i < chars.count {
            let previous: Character? = i > 0 ? chars[i - 1] : nil
            let signed = chars[i] == "-" && isDigit(i + 1)
                && !(previous.map { $0.isLetter || $0.isNumber || $0 == "." } ?? false)
            guard isDigit(i) || signed else {
                text.append(chars[i])
                i += 1
                continue
            }
            var j = signed ? i + 1 : i
            while isDigit(j) { j += 1 }
            if j < chars.count, chars[j] == ".", isDigit(j + 1) {
                j += 1
                while isDigit(j) { j += 1 }
            }
            if j < chars.count, chars[j] == "e" || chars[j] == "E" {
                var k = j + 1
                if k < chars.count, chars[k] == "-" || chars[k] == "+" { k += 1 }
                if isDigit(k) {
                    j = k
                    while isDigit(j) { j += 1 }
                }
            }
            let after = String(chars[j...]).drop { $0 == " " }
            let unit = after.prefix { !$0.isWhitespace && $0 != "," && $0 != ")" && $0 != "|" }
            let timing = previous == "×" || ["ns", "µs", "us", "ms", "s", "tok/s", "t/s", "GB/s", "GFLOP/s"].contains(String(unit))
            fields.append(.text(text))
            text = ""
            fields.append(.number(String(chars[i ..< j]), timing: timing))
            i = j
        }
        fields.append(.text(text))
        return fields
    }

    /// The page's lines against Loupe's: matching lines indented, the page's `-`, Loupe's `+`;
    /// each elision is aligned with the lines it can stand for (the fewest changes overall).
    static func diff(expected: [String], actual: [String], tolerance: Double? = nil) -> String {
        let m = expected.count, n = actual.count
        // cost[i][j]: fewest changes that align expected[i...] with actual[j...].
        var cost = [[Int]](repeating: [Int](repeating: 0, count: n + 1), count: m + 1)
        for i in stride(from: m, through: 0, by: -1) {
            for j in stride(from: n, through: 0, by: -1) {
                if i == m { cost[i][j] = n - j; continue }
                if isElision(expected[i]) {
                    cost[i][j] = min(cost[i + 1][j], j < n ? cost[i][j + 1] : .max)
                    continue
                }
                var best = 1 + cost[i + 1][j]
                if j < n {
                    best = min(best, 1 + cost[i][j + 1])
                    if line(expected[i], matches: actual[j], tolerance: tolerance) { best = min(best, cost[i + 1][j + 1]) }
                }
                cost[i][j] = best
            }
        }
        var out: [String] = [], i = 0, j = 0
        while i < m || j < n {
            if i == m {
                out.append("+ " + actual[j]); j += 1
            } else if isElision(expected[i]) {
                if cost[i][j] == cost[i + 1][j] { out.append("  " + expected[i]); i += 1 }
                else { j += 1 }  // the elision stands for actual[j]
            } else if j < n, cost[i][j] == cost[i + 1][j + 1], line(expected[i], matches: actual[j], tolerance: tolerance) {
                out.append("  " + expected[i]); i += 1; j += 1
            } else if cost[i][j] == 1 + cost[i + 1][j] {
                out.append("- " + expected[i]); i += 1
            } else {
                out.append("+ " + actual[j]); j += 1
            }
        }
        return out.joined(separator: "\n")
    }
}
