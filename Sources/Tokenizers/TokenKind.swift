/// What a token is, from `tokenizer.ggml.token_type` plus llama.cpp's corrections
/// (end-of-turn look-alikes become control tokens, control tokens named "unused…" become unused).
public enum TokenKind: String, Sendable, CaseIterable {
    /// Ordinary text.
    case normal
    /// Structure such as `<|im_start|>`, BOS or EOS: never printed as text unless asked.
    case control
    /// Added by the model's authors; always matched as one token, even without `--special`.
    case userDefined = "user-defined"
    /// A SentencePiece byte-fallback token `<0xNN>`.
    case byte
    /// The unknown token.
    case unknown
    /// A reserved slot never produced by training.
    case unused
    /// No type given.
    case undefined
}

/// llama.cpp's token attribute bits (`llama_token_attr`); several may be set at once.
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt16
    static let unknown = TokenAttributes(rawValue: 1 << 0)
    static let unused = TokenAttributes(rawValue: 1 << 1)
    static let normal = TokenAttributes(rawValue: 1 << 2)
    static let control = TokenAttributes(rawValue: 1 << 3)
    static let userDefined = TokenAttributes(rawValue: 1 << 4)
    static let byte = TokenAttributes(rawValue: 1 << 5)
    static let lstrip = TokenAttributes(rawValue: 1 << 7)
    static let rstrip = TokenAttributes(rawValue: 1 << 8)

    /// From a GGUF `token_type` value (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    init(ggufTokenType type: Int) {
        switch type {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }

    init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The kind a student sees, most specific first.
    var kind: TokenKind {
        if contains(.unused) { return .unused }
        if contains(.control) { return .control }
        if contains(.userDefined) { return .userDefined }
        if contains(.byte) { return .byte }
        if contains(.unknown) { return .unknown }
        if contains(.normal) { return .normal }
        return .undefined
    }
}
