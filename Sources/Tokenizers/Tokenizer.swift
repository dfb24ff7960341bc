import GGUF

/// Text to token ids and back, exactly as llama.cpp does for the same GGUF file.
///
/// Reads the `tokenizer.ggml.*` metadata of a model or vocabulary-only file and implements
/// the two tokenizers small Llama-family models use: byte-level BPE (`gpt2`: GPT-2, Llama 3,
/// Qwen 2, SmolLM2) and SentencePiece (`llama`: Llama 2, Mistral, Phi-3, Gemma).
///
///     let tokenizer = try Tokenizer(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
///     tokenizer.encode("Hello world")          // [19556, 905]
///     tokenizer.decode([19556, 905])           // "Hello world"
public final class Tokenizer: Sendable {
    let vocabulary: Vocabulary
    private let bpe: ByteLevelBPE?
    private let sentencePiece: SentencePiece?

    /// Reads the vocabulary of an open GGUF file.
    public init(file: GGUFFile) throws(TokenizerError) {
        let vocabulary = try Vocabulary(file: file)
        self.vocabulary = vocabulary
        switch vocabulary.model {
        case .byteLevelBPE:
            let key = "tokenizer.ggml.merges"
            guard file.metadata[key] != nil else { throw TokenizerError(file: file.path, kind: .missingKey(key)) }
            let merges: [String]
            do { merges = try file.strings(key) } catch {
                throw TokenizerError(file: file.path, kind: .badValue(key: key, reason: error.message))
            }
            bpe = ByteLevelBPE(vocabulary: vocabulary, merges: merges)
            sentencePiece = nil
        case .sentencePiece:
            bpe = nil
            sentencePiece = SentencePiece(vocabulary: vocabulary)
        }
    }

    /// Opens the GGUF file at `path` and reads its vocabulary.
    public convenience init(path: String) throws(TokenizerError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch {
            throw TokenizerError(file: path, kind: .file(error))
        }
        try self.init(file: file)
    }

    // MARK: - Facts about the vocabulary

    /// Number of tokens (ids are `0 ..< vocabularySize`).
    public var vocabularySize: Int { vocabulary.count }
    /// Beginning of sequence.
    public var bos: Int? { vocabulary.bos }
    /// End of sequence.
    public var eos: Int? { vocabulary.eos }
    /// End of turn (`<|im_end|>`, `<end_of_turn>`, `<|eot_id|>`, …).
    public var eot: Int? { vocabulary.eot }
    /// Whether `encode` adds BOS when not told (`tokenizer.ggml.add_bos_token`).
    public var addsBOS: Bool { vocabulary.addBOS }
    /// `tokenizer.ggml.model`: "gpt2" or "llama".
    public var model: String { vocabulary.model.rawValue }
    /// The pre-tokenizer (byte-level BPE), nil for SentencePiece.
    public var preTokenizer: PreTokenizer? { bpe?.preTokenizer }

    /// Whether generation stops at `id`: EOS, EOT and every token llama.cpp counts as
    /// end of generation (`llama_vocab_is_eog`).
    public func isEndOfGeneration(_ id: Int) -> Bool { vocabulary.endOfGeneration.contains(id) }

    /// What the token is; `.undefined` for ids out of range.
    public func tokenKind(_ id: Int) -> TokenKind {
        guard (0 ..< vocabularySize).contains(id) else { return .undefined }
        return vocabulary.attributes[id].kind
    }

    /// The token's text as stored in the vocabulary (`Ġworld`, `▁world`, `<0x0A>`).
    public func rawText(_ id: Int) -> String {
        guard (0 ..< vocabularySize).contains(id) else { return "" }
        return String(decoding: vocabulary.text(id), as: UTF8.self)
    }

    /// Whether `byte` has a token of its own (a GPT-2 byte character, or `<0xNN>`). Text made
    /// only of such bytes survives `decode(encode(text))`; llama.cpp drops bytes without one.
    func hasByteToken(_ byte: UInt8) -> Bool {
        switch vocabulary.model {
        case .byteLevelBPE: return vocabulary.id(of: GPT2ByteMapping.encodedCharacter(byte)) != nil
        case .sentencePiece: return sentencePiece?.hasByteToken(byte) ?? false
        }
    }

    /// Throws for the first id outside the vocabulary.
    public func validate(_ ids: [Int]) throws(TokenizerError) {
        if let bad = ids.first(where: { !(0 ..< vocabularySize).contains($0) }) {
            throw TokenizerError(file: "", kind: .tokenOutOfRange(id: bad, vocabularySize: vocabularySize))
        }
    }

    // MARK: - Encoding

    /// The token ids of `text`.
    /// - Parameters:
    ///   - addBOS: add BOS (and EOS where the file asks for it); nil does what the file says,
    ///     false adds neither.
    ///   - parseSpecial: match control tokens such as `<|im_start|>` in the text; without it
    ///     they are ordinary text.
    public func encode(_ text: String, addBOS: Bool? = nil, parseSpecial: Bool = false) -> [Int] {
        var text = text
        return text.withUTF8 { encode(bytes: $0, addBOS: addBOS, parseSpecial: parseSpecial) }
    }

    /// The token ids of raw bytes, which need not be valid UTF-8 (they are handled as
    /// llama.cpp handles them: byte fallback, or U+FFFD for byte-level BPE).
    public func encode(bytes: [UInt8], addBOS: Bool? = nil, parseSpecial: Bool = false) -> [Int] {
        bytes.withUnsafeBufferPointer { encode(bytes: $0, addBOS: addBOS, parseSpecial: parseSpecial) }
    }

    func encode(bytes: UnsafeBufferPointer<UInt8>, addBOS: Bool?, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(bytes.count / 3 + 2)
        if addBOS ?? vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        let fragments = vocabulary.partition(bytes, parseSpecial: parseSpecial)
        if let bpe {
            for fragment in fragments {
                switch fragment {
                case .token(let id): out.append(id)
                case .text(let range): bpe.encode(UnsafeBufferPointer(rebasing: bytes[range]), vocabulary: vocabulary, into: &out)
                }
            }
        } else if let sentencePiece {
            var afterSpecial = true     // the first fragment, and any after a special token, gets the space prefix
            for fragment in fragments {
                switch fragment {
                case .token(let id):
                    out.append(id)
                    afterSpecial = true
                case .text(let range):
                    sentencePiece.encode(escapeSpaces(bytes[range], prefix: vocabulary.addSpacePrefix && afterSpecial),
                                         vocabulary: vocabulary, into: &out)
                    afterSpecial = false
                }
            }
        }
        if addBOS != false && vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    /// SentencePiece's view of spaces: each one becomes `▁` (E2 96 81), optionally one in front.
    private func escapeSpaces(_ text: Slice<UnsafeBufferPointer<UInt8>>, prefix: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 8)
        if prefix { out += [0xE2, 0x96, 0x81] }
        for b in text {
            if b == 0x20 { out += [0xE2, 0x96, 0x81] } else { out.append(b) }
        }
        return out
    }

    // MARK: - Decoding

    /// The bytes token `id` stands for (`llama_token_to_piece`); control and unknown tokens
    /// give their text only when `special` is set. Out-of-range ids give nothing.
    public func pieceBytes(_ id: Int, special: Bool = true) -> [UInt8] {
        guard (0 ..< vocabularySize).contains(id) else { return [] }
        let attributes = vocabulary.attributes[id]
        let text = vocabulary.text(id)
        if !attributes.isDisjoint(with: [.unknown, .control]) && !special { return [] }
        if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text) }
        if attributes.contains(.normal) {
            return vocabulary.model == .sentencePiece ? Self.unescapeSpaces(text) : Self.decodeByteLevel(text)
        }
        if attributes.contains(.byte) { return Self.byteOfFallbackToken(text).map { [$0] } ?? [] }
        return []
    }

    /// `piece` as text (the bytes of a token may be part of a UTF-8 character: those show as U+FFFD).
    public func piece(_ id: Int, special: Bool = true) -> String {
        String(decoding: pieceBytes(id, special: special), as: UTF8.self)
    }

    /// The text of `ids`: every token's piece (control tokens hidden), and one leading space
    /// dropped when the ids start with BOS, as llama-cpp-python's `detokenize` does (this is
    /// how the conformance files' `roundtrip` texts are made). Out-of-range ids give nothing.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// `decode` before UTF-8 decoding.
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids { out += pieceBytes(id, special: false) }
        if let first = ids.first, first == bos, out.first == 0x20 { out.removeFirst() }
        return out
    }

    /// `▁` back to a space.
    private static func unescapeSpaces(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == 0xE2 && i + 2 < text.endIndex && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// GPT-2 characters back to bytes (`llama_decode_text`); a character outside the map
    /// becomes `[UNK_BYTE_0x…]` as in llama.cpp.
    private static func decodeByteLevel(_ text: ArraySlice<UInt8>) -> [UInt8] {
        let bytes = Array(text)
        return bytes.withUnsafeBufferPointer { buffer in
            var out: [UInt8] = []
            for cpt in LenientUTF8.codepoints(buffer) {
                if let byte = GPT2ByteMapping.byte(ofCharacter: cpt) {
                    out.append(byte)
                } else {
                    var utf8: [UInt8] = []
                    LenientUTF8.append(cpt, to: &utf8)
                    out += Array("[UNK_BYTE_0x".utf8)
                    for b in utf8 { out += Array(String(b, radix: 16).leftPadded(to: 2).utf8) }
                    out += bytes
                    out.append(UInt8(ascii: "]"))
                }
            }
            return out
        }
    }

    /// The byte of `<0xNN>` (`strtol` of the two characters after "<0x").
    private static func byteOfFallbackToken(_ text: ArraySlice<UInt8>) -> UInt8? {
        guard text.count >= 4 else { return nil }
        var value = 0
        for b in text.dropFirst(3).prefix(2) {
            guard let digit = Int(String(UnicodeScalar(b)), radix: 16) else { break }
            value = value * 16 + digit
        }
        return UInt8(truncatingIfNeeded: value)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
