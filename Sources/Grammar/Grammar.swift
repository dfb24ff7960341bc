import Foundation

/// A grammar that generated text must follow: GBNF rules compiled for the pushdown matcher.
///
///     let digits = try Grammar(gbnf: #"root ::= [0-9]+ "\n""#)
///     let invoice = try Grammar(jsonSchema: schemaData)     // JSON Schema → GBNF → rules
///     let anything = Grammar.anyJSON                         // response_format json_object
///     digits.accepts("42\n")                                  // true
public final class Grammar: Sendable, Equatable {
    /// The GBNF text the grammar was built from (for a schema: the generated rules).
    public let gbnf: String
    let compiled: CompiledGrammar

    /// Parses and compiles GBNF text; errors name the line and column.
    public init(gbnf: String) throws(GrammarError) {
        self.gbnf = gbnf
        var parser = GBNFParser(gbnf)
        compiled = try CompiledGrammar(parser.parse())
    }

    /// Converts a JSON Schema (the subset of llama.cpp's json-schema-to-grammar) and compiles it.
    public convenience init(jsonSchema: Data) throws(GrammarError) {
        try self.init(gbnf: try JSONSchemaConverter.gbnf(schema: jsonSchema))
    }

    /// Converts the JSON Schema at `path` inside a larger JSON document, such as a request body
    /// (`["response_format", "json_schema", "schema"]`). The document is read here, not by the
    /// caller's JSON parser, because the order of `properties` is the order of the generated
    /// fields and a dictionary would lose it.
    public convenience init(jsonSchemaIn document: Data, at path: [String]) throws(GrammarError) {
        var schema = try JSONReader.parse(Array(document))
        for key in path {
            guard let inner = schema[key] else {
                throw GrammarError(.invalidSchema("no '\(key)' in the document"), schemaPath: path.joined(separator: "."))
            }
            schema = inner
        }
        try self.init(gbnf: try JSONSchemaConverter.gbnf(schema: schema))
    }

    /// Reads a GBNF file.
    public convenience init(contentsOfFile path: String) throws(GrammarError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GrammarError(.syntax("cannot read grammar file '\(path)'"))
        }
        try self.init(gbnf: String(decoding: data, as: UTF8.self))
    }

    /// Any JSON value whose top level is an object, as `response_format: {"type": "json_object"}`.
    public static let anyJSON: Grammar = {
        // The rules come from the converter's own primitives, so both paths agree on whitespace.
        let text = try! JSONSchemaConverter.gbnf(schema: Data(#"{"type": "object"}"#.utf8))
        return try! Grammar(gbnf: text)
    }()

    /// Number of rules after compiling (groups and repetitions become rules of their own).
    public var ruleCount: Int { compiled.alternatives.count }

    /// Whether the whole of `text` is a sentence of the grammar.
    public func accepts(_ text: String) -> Bool {
        let matcher = GrammarMatcher(self)
        return matcher.accept(bytes: Array(text.utf8)) && matcher.canEnd
    }

    /// Whether `text` can be continued into a sentence of the grammar (a prefix of one).
    public func acceptsPrefix(_ text: String) -> Bool {
        GrammarMatcher(self).accept(bytes: Array(text.utf8))
    }

    public static func == (a: Grammar, b: Grammar) -> Bool { a === b || a.gbnf == b.gbnf }
}

/// Follows text through a grammar, byte by byte: can these bytes come next? may the text end here?
///
/// A matcher remembers every state and transition it has worked out (see `StatePool`), so it
/// gets faster as it goes; it is not meant to be shared between threads.
public final class GrammarMatcher {
    public let grammar: Grammar
    let pool: StatePool
    /// The state after the accepted text (an id in `pool`).
    private(set) var state: Int32

    public init(_ grammar: Grammar) {
        self.grammar = grammar
        pool = StatePool(grammar.compiled)
        state = pool.initial
    }

    /// Back to the start of the grammar.
    public func reset() {
        state = pool.initial
    }

    /// Whether `bytes` (a token's text, possibly ending inside a UTF-8 character) can come next.
    public func allows(_ bytes: [UInt8]) -> Bool {
        var s = state
        for b in bytes {
            s = pool.next(s, b)
            if s < 0 { return false }
        }
        return true
    }

    /// Moves past `bytes`; returns false (and leaves the state unchanged) when they cannot come next.
    @discardableResult
    public func accept(bytes: [UInt8]) -> Bool {
        var s = state
        for b in bytes {
            s = pool.next(s, b)
            if s < 0 { return false }
        }
        state = s
        // A very long generation should not grow the tables without end.
        if pool.sizes.transitions > 2_000_000 { state = pool.forgetStates(keeping: state) }
        return true
    }

    /// Whether the text so far is a complete sentence: end of generation may come here.
    public var canEnd: Bool { pool.canEnd(state) }

    /// Whether nothing but the end may follow (every stack is complete).
    public var mustEnd: Bool { pool.mustEnd(state) }
}
