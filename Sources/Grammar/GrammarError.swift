/// Why a grammar or a JSON Schema could not be turned into a grammar: what went wrong and
/// where (line and column of the GBNF text, or the JSON path of the schema keyword).
public struct GrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The text is not GBNF: `expecting ::=`, `unknown escape \q`, `unexpected end of input`, …
        case syntax(String)
        /// A rule is used but never defined.
        case undefinedRule(String)
        /// The grammar has no `root` rule (generation starts there).
        case missingRoot
        /// A rule can reach itself without consuming a character; a pushdown matcher would
        /// loop forever on it (llama.cpp refuses it too).
        case leftRecursion(String)
        /// A JSON Schema keyword this converter does not implement; never silently ignored.
        case unsupportedKeyword(String)
        /// The schema is not valid JSON or not a schema (`"type": 3`, an unresolvable `$ref`, …).
        case invalidSchema(String)
    }

    public var kind: Kind
    /// 1-based line and column of the GBNF text (0 when the error has no position).
    public var line: Int
    public var column: Int
    /// Where in the JSON Schema, as a JSON pointer (`/properties/date/format`); nil for GBNF.
    public var schemaPath: String?

    public init(_ kind: Kind, line: Int = 0, column: Int = 0, schemaPath: String? = nil) {
        self.kind = kind
        self.line = line
        self.column = column
        self.schemaPath = schemaPath
    }

    public var description: String {
        let what: String
        switch kind {
        case .syntax(let message): what = message
        case .undefinedRule(let name): what = "undefined rule '\(name)'"
        case .missingRoot: what = "the grammar has no 'root' rule"
        case .leftRecursion(let name): what = "rule '\(name)' is left-recursive (it can reach itself before matching a character)"
        case .unsupportedKeyword(let keyword): what = "unsupported JSON Schema keyword '\(keyword)'"
        case .invalidSchema(let message): what = message
        }
        if let schemaPath { return "schema \(schemaPath.isEmpty ? "/" : schemaPath): \(what)" }
        if line > 0 { return "line \(line), column \(column): \(what)" }
        return what
    }
}
