import Foundation
import Grammar
import Testing

/// The GBNF parser: llama.cpp's grammar files parse, malformed grammars are refused with the
/// line and column of the problem.
@Suite struct GBNFParserTests {
    @Test func everyLlamaCppGrammarParses() throws {
        let files = GrammarTestSupport.llamaGrammarFiles()
        #expect(files.count >= 8)
        for path in files {
            #expect(throws: Never.self, "\(path)") { _ = try Grammar(contentsOfFile: path) }
        }
    }

    @Test func escapesClassesAndRepetitions() throws {
        let g = try Grammar(gbnf: #"""
            root ::= "\x41\u00e9\U0001F600\t\"\\" [^\]\[a-c] . x{2} y{1,} z{0,2} w?  # a comment
            x ::= [0-9]
            y ::= "ab"
            z ::= ( "-" | "+" )
            w ::= "!"*
            """#)
        #expect(g.accepts("Aé😀\t\"\\d☃12ab"))
        #expect(g.accepts("Aé😀\t\"\\d☃12abab-+!!!"))
        #expect(!g.accepts("Aé😀\t\"\\a☃12ab"))          // [^\]\[a-c] refuses a
        #expect(!g.accepts("Aé😀\t\"\\d☃1ab"))           // x{2} needs two digits
        #expect(!g.accepts("Aé😀\t\"\\d☃12ab-+-"))       // z{0,2}
        #expect(g.acceptsPrefix("Aé😀"))
    }

    @Test func arithmeticSentences() throws {
        let g = try Grammar(contentsOfFile: GrammarTestSupport.llamaGrammars + "/arithmetic.gbnf")
        #expect(g.accepts("a+1=2\n"))
        #expect(g.accepts("(x *2) = 10\ny=3\n"))
        #expect(!g.accepts("a=1+2\n"))
        #expect(!g.accepts("=1\n"))
    }

    @Test(arguments: [
        ("root ::= \"abc", 1, 10, "unterminated literal"),
        ("root ::= [a-z", 1, 10, "unterminated character class"),
        ("root := \"x\"", 1, 6, "expecting ::="),
        ("root ::= \"a\"\n\nitem ::= \"\\q\"", 3, 11, "unknown escape"),
        ("root ::= (\"a\" | \"b\"", 1, 10, "unclosed '('"),
        ("root ::= \"a\" )", 1, 14, "expecting a newline"),
        ("root ::= * \"a\"", 1, 10, "must follow an item"),
        ("root ::= \"a\"{3,1}", 1, 18, "below the minimum"),
        ("root ::= [\\x4]", 1, 11, "hex digits"),
    ])
    func syntaxErrorsNameLineAndColumn(_ text: String, _ line: Int, _ column: Int, _ message: String) {
        do {
            _ = try Grammar(gbnf: text)
            Issue.record("no error for \(text)")
        } catch {
            #expect(error.line == line && error.column == column, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func undefinedMissingRootAndLeftRecursion() throws {
        let invalid = GrammarTestSupport.fixtures.appendingPathComponent("invalid")
        #expect(throws: GrammarError(.undefinedRule("other"), line: 3, column: 14)) {
            try Grammar(contentsOfFile: invalid.appendingPathComponent("undefined-rule.gbnf").path)
        }
        #expect(throws: GrammarError(.leftRecursion("expr"))) {
            try Grammar(contentsOfFile: invalid.appendingPathComponent("left-recursive.gbnf").path)
        }
        // Through a rule that may be empty: a ::= b? a is left-recursive too.
        #expect(throws: GrammarError(.leftRecursion("a"))) { try Grammar(gbnf: "root ::= a\na ::= b? a \"x\"\nb ::= \"y\"") }
        #expect(throws: GrammarError(.missingRoot)) { try Grammar(gbnf: "item ::= \"x\"") }
        do {
            _ = try Grammar(contentsOfFile: invalid.appendingPathComponent("unterminated-class.gbnf").path)
            Issue.record("no error")
        } catch {
            #expect(error.line == 2 && error.column == 7, "\(error)")
        }
    }
}
