/// Reads GBNF, llama.cpp's grammar format:
///
///     root  ::= (expr "=" ws term "\n")+      # a rule: name ::= alternatives, ended by a newline
///     term  ::= ident | num | "(" ws expr ")" ws
///     ident ::= [a-z] [a-z0-9_]* ws           # character classes, ranges, negation [^…]
///     num   ::= [0-9]{1,15} ws                # repetitions * + ? {m} {m,} {m,n}
///
/// A rule ends at a newline unless the newline is inside parentheses; `#` starts a comment.
/// Literals and classes take the escapes `\x41 \u00e9 \U0001F600 \t \n \r \" \\ \[ \] \-`.
/// Errors name the line and column where the text stops making sense.
struct GBNFParser {
    private let text: [UInt8]
    private var pos = 0

    init(_ source: String) {
        text = Array(source.utf8)
    }

    /// Every rule of the text, in order of definition (a name defined twice keeps its alternatives
    /// from both definitions, as llama.cpp's parser appends them).
    mutating func parse() throws(GrammarError) -> [GBNFRule] {
        var rules: [GBNFRule] = []
        skipSpace(newlines: true)
        while pos < text.count {
            rules.append(try parseRule())
        }
        return rules
    }

    // MARK: - Rules

    private mutating func parseRule() throws(GrammarError) -> GBNFRule {
        let line = position(pos).line
        let name = try parseName()
        skipSpace(newlines: false)
        guard peek(0) == UInt8(ascii: ":"), peek(1) == UInt8(ascii: ":"), peek(2) == UInt8(ascii: "=") else {
            throw error("expecting ::= after the rule name '\(name)'")
        }
        pos += 3
        skipSpace(newlines: true)
        let body = try parseAlternatives(nested: false)
        if peek(0) == UInt8(ascii: "\r") {
            pos += peek(1) == UInt8(ascii: "\n") ? 2 : 1
        } else if peek(0) == UInt8(ascii: "\n") {
            pos += 1
        } else if pos < text.count {
            throw error("expecting a newline or the end after the rule '\(name)', found \(describe(pos))")
        }
        skipSpace(newlines: true)
        return GBNFRule(name: name, body: body, line: line)
    }

    private mutating func parseAlternatives(nested: Bool) throws(GrammarError) -> GBNFExpression {
        var alternatives = [try parseSequence(nested: nested)]
        while peek(0) == UInt8(ascii: "|") {
            pos += 1
            skipSpace(newlines: true)
            alternatives.append(try parseSequence(nested: nested))
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    /// Items until something that cannot start one (`|`, `)`, a newline outside parentheses).
    private mutating func parseSequence(nested: Bool) throws(GrammarError) -> GBNFExpression {
        var items: [GBNFExpression] = []
        while pos < text.count {
            let c = text[pos]
            let start = pos
            switch c {
            case UInt8(ascii: "\""):
                pos += 1
                var characters: [GBNFExpression] = []
                while peek(0) != UInt8(ascii: "\"") {
                    guard pos < text.count else { throw error("unterminated literal (no closing \")", at: start) }
                    characters.append(.characters(CodePointSet(try parseChar())))
                }
                pos += 1
                // A literal repeats as a whole: "ab"* is (ab)*, as in llama.cpp.
                items.append(characters.count == 1 ? characters[0] : .sequence(characters))
            case UInt8(ascii: "["):
                pos += 1
                var negated = false
                if peek(0) == UInt8(ascii: "^") { negated = true; pos += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                while peek(0) != UInt8(ascii: "]") {
                    guard pos < text.count else { throw error("unterminated character class (no closing ])", at: start) }
                    let lo = try parseChar()
                    var hi = lo
                    if peek(0) == UInt8(ascii: "-"), peek(1) != UInt8(ascii: "]") {
                        pos += 1
                        guard pos < text.count else { throw error("unterminated character class (no closing ])", at: start) }
                        let rangeStart = pos
                        hi = try parseChar()
                        guard lo <= hi else { throw error("empty range in character class (end before start)", at: rangeStart) }
                    }
                    ranges.append(lo ... hi)
                }
                pos += 1
                items.append(.characters(CodePointSet(ranges: ranges, negated: negated)))
            case UInt8(ascii: "."):
                pos += 1
                items.append(.characters(.any))
            case UInt8(ascii: "("):
                pos += 1
                skipSpace(newlines: true)
                let group = try parseAlternatives(nested: true)
                guard peek(0) == UInt8(ascii: ")") else {
                    throw error(pos < text.count ? "expecting ')' , found \(describe(pos))" : "unclosed '(' (end of input)",
                                at: pos < text.count ? pos : start)
                }
                pos += 1
                items.append(group)
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
                guard let last = items.popLast() else {
                    throw error("'\(Character(Unicode.Scalar(c)))' must follow an item to repeat")
                }
                let (min, max) = try parseRepetition()
                items.append(.repeated(last, min: min, max: max))
                skipSpace(newlines: nested)
                continue
            case UInt8(ascii: "<"), UInt8(ascii: "!"):
                throw error("token references (<…>, !<…>) are not supported; write the text as a literal")
            default:
                guard Self.isWordByte(c) else { return .sequence(items) }
                let (line, column) = position(pos)
                items.append(.reference(try parseName(), line: line, column: column))
            }
            skipSpace(newlines: nested)
        }
        return .sequence(items)
    }

    private mutating func parseRepetition() throws(GrammarError) -> (Int, Int?) {
        let c = text[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "*"): return (0, nil)
        case UInt8(ascii: "+"): return (1, nil)
        case UInt8(ascii: "?"): return (0, 1)
        default: break
        }
        skipSpace(newlines: false)
        let min = try parseInt()
        skipSpace(newlines: false)
        var max: Int? = min
        if peek(0) == UInt8(ascii: ",") {
            pos += 1
            skipSpace(newlines: false)
            max = peek(0).map { $0 >= 0x30 && $0 <= 0x39 } == true ? try parseInt() : nil
            skipSpace(newlines: false)
        }
        guard peek(0) == UInt8(ascii: "}") else { throw error("expecting '}' or ',' in a repetition {m,n}, found \(describe(pos))") }
        pos += 1
        if let max, max < min { throw error("repetition {\(min),\(max)}: the maximum is below the minimum") }
        if min > Self.maxRepetitions || (max ?? 0) > Self.maxRepetitions {
            throw error("repetition count above \(Self.maxRepetitions)")
        }
        return (min, max)
    }

    /// Beyond this a repetition would expand into an unreasonable number of rules.
    static let maxRepetitions = 2000

    // MARK: - Tokens

    static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }

    private mutating func parseName() throws(GrammarError) -> String {
        let start = pos
        while pos < text.count, Self.isWordByte(text[pos]) { pos += 1 }
        guard pos > start else { throw error("expecting a rule name, found \(describe(start))", at: start) }
        return String(decoding: text[start ..< pos], as: UTF8.self)
    }

    private mutating func parseInt() throws(GrammarError) -> Int {
        let start = pos
        while pos < text.count, text[pos] >= 0x30, text[pos] <= 0x39, pos - start < 9 { pos += 1 }
        guard pos > start, let value = Int(String(decoding: text[start ..< pos], as: UTF8.self)) else {
            throw error("expecting a number, found \(describe(start))", at: start)
        }
        return value
    }

    /// One character of a literal or class: an escape or a UTF-8 encoded code point.
    private mutating func parseChar() throws(GrammarError) -> UInt32 {
        let start = pos
        guard pos < text.count else { throw error("unexpected end of input") }
        if text[pos] == UInt8(ascii: "\\") {
            guard pos + 1 < text.count else { throw error("unexpected end of input after \\") }
            let e = text[pos + 1]
            pos += 2
            switch e {
            case UInt8(ascii: "x"): return try parseHex(2, start: start)
            case UInt8(ascii: "u"): return try parseHex(4, start: start)
            case UInt8(ascii: "U"): return try parseHex(8, start: start)
            case UInt8(ascii: "t"): return 9
            case UInt8(ascii: "n"): return 10
            case UInt8(ascii: "r"): return 13
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "-"):
                return UInt32(e)
            default:
                throw error("unknown escape \\\(Character(Unicode.Scalar(e)))", at: start)
            }
        }
        // Decode one UTF-8 code point.
        let lead = text[pos]
        let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
        guard length > 0, pos + length <= text.count else { throw error("invalid UTF-8", at: start) }
        var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0xFF >> (length + 1))
        for i in 1 ..< length { value = value << 6 | UInt32(text[pos + i] & 0x3F) }
        pos += length
        return value
    }

    private mutating func parseHex(_ count: Int, start: Int) throws(GrammarError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0 ..< count {
            guard pos < text.count, let digit = Self.hexValue(text[pos]) else {
                throw error("expecting \(count) hex digits after \\\(Character(Unicode.Scalar(text[start + 1])))", at: start)
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    private static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30 ... 0x39: return UInt32(c - 0x30)
        case 0x41 ... 0x46: return UInt32(c - 0x41 + 10)
        case 0x61 ... 0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    /// Skips spaces, tabs and comments, and newlines when `newlines` (inside parentheses, or
    /// between rules).
    private mutating func skipSpace(newlines: Bool) {
        while pos < text.count {
            let c = text[pos]
            if c == UInt8(ascii: "#") {
                while pos < text.count, text[pos] != 0x0A, text[pos] != 0x0D { pos += 1 }
            } else if c == 0x20 || c == 0x09 || (newlines && (c == 0x0A || c == 0x0D)) {
                pos += 1
            } else {
                return
            }
        }
    }

    // MARK: - Positions and errors

    private func peek(_ offset: Int) -> UInt8? {
        pos + offset < text.count ? text[pos + offset] : nil
    }

    /// 1-based line and column (in characters) of byte `offset`.
    private func position(_ offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for c in text[..<min(offset, text.count)] {
            if c == 0x0A { line += 1; column = 1 } else if c & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    private func describe(_ offset: Int) -> String {
        guard offset < text.count else { return "the end of input" }
        let end = text[offset...].firstIndex { $0 == 0x0A || $0 == 0x0D } ?? text.count
        let snippet = String(decoding: text[offset ..< min(end, offset + 12)], as: UTF8.self)
        return "'\(snippet)'"
    }

    private func error(_ message: String, at offset: Int? = nil) -> GrammarError {
        let (line, column) = position(offset ?? pos)
        return GrammarError(.syntax(message), line: line, column: column)
    }
}
