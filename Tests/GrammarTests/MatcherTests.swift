import Foundation
import Grammar
import Testing

/// The pushdown matcher on bytes: tokens that stop inside a UTF-8 character, the end of a
/// sentence, and the trie mask agreeing with one-by-one checks.
@Suite struct MatcherTests {
    @Test func partialUTF8Characters() throws {
        let g = try Grammar(gbnf: #"root ::= "é" [α-ω]+"#)
        let m = GrammarMatcher(g)
        #expect(m.allows([0xC3]))            // first byte of é
        #expect(!m.allows([0xC4]))           // first byte of ĀāĂ… : no
        #expect(m.accept(bytes: [0xC3]))
        #expect(!m.canEnd)
        #expect(m.accept(bytes: [0xA9, 0xCE]))   // rest of é, first byte of α
        #expect(m.accept(bytes: [0xB1]))
        #expect(m.canEnd)
        #expect(!m.allows([0x41]))
    }

    @Test func endOfSentence() throws {
        let g = try Grammar(gbnf: #"root ::= "yes" | "yes!""#)
        let m = GrammarMatcher(g)
        m.accept(bytes: Array("yes".utf8))
        #expect(m.canEnd && !m.mustEnd)
        m.accept(bytes: Array("!".utf8))
        #expect(m.canEnd && m.mustEnd)
    }

    @Test func trieMaskMatchesTokenByTokenChecks() throws {
        let words = ["{", "\"", "\"n", "\"nom", "nom", "\":", ": ", " \"", "é", "\u{C3}", "12", "1", ".5", "}", " }", "\n", "true", "tr", "a\"", "Dup", "ont\"", ",", ", \""]
        let tokens = words.map { w -> [UInt8] in w == "\u{C3}" ? [0xC3] : Array(w.utf8) }
        let trie = TokenTrie(tokens: tokens)
        let g = try Grammar(jsonSchema: Data(#"{"type":"object","properties":{"nom":{"type":"string"},"n":{"type":"number"}},"required":["nom"]}"#.utf8))
        let m = GrammarMatcher(g)
        for prefix in ["", "{", "{\"", "{\"nom\"", "{\"nom\": \"Dup", "{\"nom\": \"Dupont\"", "{\"nom\": \"Dupont\", \"n\": 1"] {
            m.reset()
            #expect(m.accept(bytes: Array(prefix.utf8)))
            var mask = Array(repeating: false, count: tokens.count)
            trie.allowed(by: m, into: &mask)
            for (i, t) in tokens.enumerated() {
                #expect(mask[i] == m.allows(t), "after \(prefix): token \(words[i])")
            }
        }
    }
}

/// Overlong UTF-8 (C1 AF is "o" in two bytes) must not sneak past a literal: a greedy model once
/// filled `"c…` with such bytes where the grammar wanted `onforme"`.
@Suite struct OverlongUTF8Tests {
    @Test func leadBytesOnlyForCharactersOfTheirLength() throws {
        let g = try Grammar(gbnf: #"root ::= "co""#)
        let m = GrammarMatcher(g)
        m.accept(bytes: [0x63])
        #expect((0 ... 255).filter { m.allows([UInt8($0)]) } == [0x6F])
        #expect(!m.allows([0xC1, 0xAF]))
        let wide = try Grammar(gbnf: #"root ::= [\u0000-\U0010FFFF]"#)
        #expect(GrammarMatcher(wide).allows([0xE0, 0x80]) == false)   // E0 80..9F would be overlong
        #expect(GrammarMatcher(wide).allows([0xE0, 0xA0]))
    }
}
