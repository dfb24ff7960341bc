/// A GBNF grammar as written: named rules whose bodies are expressions. The parser builds
/// this tree; `CompiledGrammar` flattens it into the element lists the matcher walks.
public indirect enum GBNFExpression: Sendable, Equatable {
    /// One character from a set: a literal's character, `[a-z]`, `[^"]`, `.`.
    case characters(CodePointSet)
    /// Another rule, by name (line and column of the reference, for "undefined rule").
    case reference(String, line: Int, column: Int)
    /// Items one after another (an empty sequence matches the empty string).
    case sequence([GBNFExpression])
    /// Alternatives `a | b | c`.
    case choice([GBNFExpression])
    /// `x*` (0, nil), `x+` (1, nil), `x?` (0, 1), `x{m}`, `x{m,}`, `x{m,n}`.
    case repeated(GBNFExpression, min: Int, max: Int?)
}

/// One rule `name ::= body`, with where it was defined.
public struct GBNFRule: Sendable, Equatable {
    public var name: String
    public var body: GBNFExpression
    public var line: Int
}
