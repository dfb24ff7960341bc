import GGUF

/// The token list of a GGUF file and everything llama.cpp derives from it at load time
/// (`llama_vocab::impl::load`): special ids, flags, corrected token attributes, the end-of-
/// generation set and the special tokens matched before tokenization.
struct Vocabulary: Sendable {
    /// `tokenizer.ggml.model`.
    enum Model: String, Sendable {
        /// `llama`: SentencePiece with byte fallback (Llama 2, Mistral, Phi-3, Gemma).
        case sentencePiece = "llama"
        /// `gpt2`: byte-level BPE (GPT-2, Llama 3, Qwen 2, SmolLM).
        case byteLevelBPE = "gpt2"
    }

    let file: String
    let model: Model
    /// The pre-tokenizer (byte-level BPE only) and what its name implies.
    let preTokenizer: PreTokenizer.Choice

    /// Token texts end to end: token i is `textBytes[textStart[i] ..< textStart[i + 1]]`.
    let textBytes: [UInt8]
    let textStart: [Int]
    let scores: [Float]
    private(set) var attributes: [TokenAttributes]
    /// Text → id, by bytes.
    let ids: ByteStringTable

    private(set) var bos: Int?, eos: Int?, eot: Int?, eom: Int?, unknown: Int?
    let addBOS: Bool, addEOS: Bool, addSpacePrefix: Bool
    /// Every token that ends generation (`special_eog_ids`).
    private(set) var endOfGeneration: Set<Int> = []
    /// Control, user-defined and unknown tokens, longest text first (`cache_special_tokens`).
    private(set) var specialTokens: [Int] = []

    var count: Int { scores.count }

    func text(_ id: Int) -> ArraySlice<UInt8> { textBytes[textStart[id] ..< textStart[id + 1]] }

    func id(of text: [UInt8]) -> Int? { ids.find(text).map(Int.init) }

    init(file gguf: GGUFFile) throws(TokenizerError) {
        file = gguf.path
        let modelName = try Self.string(gguf, "tokenizer.ggml.model")
        guard let model = Model(rawValue: modelName) else {
            throw TokenizerError(file: file, kind: .unknownModel(modelName))
        }
        self.model = model

        // Token texts (empty ones renamed as llama.cpp does, so that every text is a key).
        guard case .array(_, let tokenValues)? = gguf.metadata["tokenizer.ggml.tokens"] else {
            if gguf.metadata["tokenizer.ggml.tokens"] == nil {
                throw TokenizerError(file: file, kind: .missingKey("tokenizer.ggml.tokens"))
            }
            throw TokenizerError(file: file, kind: .badValue(key: "tokenizer.ggml.tokens", reason: "expected an array of strings"))
        }
        let n = tokenValues.count
        guard n > 0, n < Int(Int32.max) else {
            throw TokenizerError(file: file, kind: .badValue(key: "tokenizer.ggml.tokens", reason: "has \(n) tokens"))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 8)
        var starts: [Int] = [0]
        starts.reserveCapacity(n + 1)
        var table = ByteStringTable(expectedCount: n)
        for (i, value) in tokenValues.enumerated() {
            guard case .string(var word) = value else {
                throw TokenizerError(file: file, kind: .badValue(key: "tokenizer.ggml.tokens", reason: "element \(i) is not a string"))
            }
            if word.isEmpty { word = "[EMPTY_\(i)]" }
            let begin = bytes.count
            bytes.append(contentsOf: word.utf8)
            starts.append(bytes.count)
            bytes.withUnsafeBufferPointer { table.set(UnsafeBufferPointer(rebasing: $0[begin...]), Int32(i)) }
        }
        textBytes = bytes
        textStart = starts
        ids = table

        scores = try Self.numbers(gguf, "tokenizer.ggml.scores", count: n, file: file)?.map { Float($0) }
            ?? [Float](repeating: 0, count: n)
        let types = try Self.numbers(gguf, "tokenizer.ggml.token_type", count: n, file: file)
        attributes = types?.map { TokenAttributes(ggufTokenType: Int($0)) }
            ?? [TokenAttributes](repeating: .normal, count: n)

        // Model defaults, then what the pre-tokenizer implies, then what the file says.
        var addBOS: Bool, addSpacePrefix: Bool
        switch model {
        case .sentencePiece:
            preTokenizer = PreTokenizer.Choice(preTokenizer: .default, cleanSpaces: false)
            (bos, eos, unknown) = (1, 2, 0)
            (addBOS, addSpacePrefix) = (true, true)
        case .byteLevelBPE:
            let name = try Self.optionalString(gguf, "tokenizer.ggml.pre") ?? "default"
            guard let choice = PreTokenizer.choices[name] else {
                throw TokenizerError(file: file, kind: .unknownPreTokenizer(name))
            }
            preTokenizer = choice
            (bos, eos, unknown) = (11, 11, nil)
            (addBOS, addSpacePrefix) = (choice.addBOS, false)
        }
        addSpacePrefix = try Self.optionalBool(gguf, "tokenizer.ggml.add_space_prefix") ?? addSpacePrefix
        // Defaults past the end of a small vocabulary are disabled.
        if let id = bos, id >= n { bos = nil }
        if let id = eos, id >= n { eos = nil }
        if let id = unknown, id >= n { unknown = nil }
        bos = try Self.specialID(gguf, "tokenizer.ggml.bos_token_id", count: n) ?? bos
        eos = try Self.specialID(gguf, "tokenizer.ggml.eos_token_id", count: n) ?? eos
        eot = try Self.specialID(gguf, "tokenizer.ggml.eot_token_id", count: n)
        eom = try Self.specialID(gguf, "tokenizer.ggml.eom_token_id", count: n)
        unknown = try Self.specialID(gguf, "tokenizer.ggml.unknown_token_id", count: n) ?? unknown
        var fim: [String: Int] = [:]
        for key in ["fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep"] {
            fim[key] = try Self.specialID(gguf, "tokenizer.ggml.\(key)_token_id", count: n)
        }
        for (key, old) in [("fim_pre", "prefix"), ("fim_suf", "suffix"), ("fim_mid", "middle")] where fim[key] == nil {
            fim[key] = try Self.specialID(gguf, "tokenizer.ggml.\(old)_token_id", count: n)
        }
        self.addBOS = try Self.optionalBool(gguf, "tokenizer.ggml.add_bos_token") ?? addBOS
        self.addEOS = try Self.optionalBool(gguf, "tokenizer.ggml.add_eos_token") ?? false
        self.addSpacePrefix = addSpacePrefix

        correctAttributes(fim: fim, modelName: (try? Self.optionalString(gguf, "general.name")) ?? nil)
    }

    // MARK: - llama.cpp's corrections by token text

    /// Texts llama.cpp recognises when the file does not name the token. Each found token
    /// becomes control. llama.cpp takes the first its hash map yields, an order that is not
    /// specified; Loupe takes the first in the order listed here, which agrees with llama.cpp
    /// for Llama 3, Qwen 2, Phi-3 and Gemma 3 (for SmolLM2 llama.cpp reports `<|endoftext|>`,
    /// Loupe `<|im_end|>`, the token that really ends a chat turn; both end generation).
    private static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
        "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]
    private static let fimTexts: [(key: String, texts: [String], endsGeneration: Bool)] = [
        ("fim_pre", ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                     "<|code_prefix|>", "<|prefix|>"], false),
        ("fim_suf", ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                     "<|code_suffix|>", "<|suffix|>"], false),
        ("fim_mid", ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                     "<|code_middle|>", "<|middle|>"], false),
        ("fim_pad", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"], true),
        ("fim_rep", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"], true),
        ("fim_sep", ["<|file_sep|>"], true),
    ]
    private static let endOfGenerationTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// Token text as a Swift string, for comparing with the names above.
    private func name(_ id: Int) -> String { String(decoding: text(id), as: UTF8.self) }

    /// The id of a token whose bytes equal `text` exactly.
    private func exactID(_ text: String) -> Int? { id(of: Array(text.utf8)) }

    /// The first of `texts` that is a token, made a control token.
    private mutating func detect(_ texts: [String]) -> Int? {
        guard let id = texts.compactMap({ exactID($0) }).first else { return nil }
        attributes[id].insert(.control)
        return id
    }

    private mutating func correctAttributes(fim fileFIM: [String: Int], modelName: String?) {
        var eogIDs = Set<Int>()
        if eot == nil { eot = detect(Self.endOfTurnTexts) }
        if eom == nil { eom = detect(["<|eom_id|>"]) }
        for (key, texts, endsGeneration) in Self.fimTexts {
            if let id = fileFIM[key] ?? detect(texts), endsGeneration { eogIDs.insert(id) }
        }
        // Control tokens named "unused…" are unused.
        for id in 0 ..< count where attributes[id].contains(.control) && !attributes[id].contains(.unused) {
            if name(id).contains("unused") { attributes[id].insert(.unused) }
        }
        for text in Self.endOfGenerationTexts {
            guard let id = exactID(text) else { continue }
            eogIDs.insert(id)
            attributes[id].insert(.control)
        }
        for text in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let id = exactID(text) { attributes[id] = .userDefined }
        }
        for id in [eos, eot, eom].compactMap({ $0 }) { eogIDs.insert(id) }
        // gpt-oss and solar-open: "<|end|>" is not an end of generation when these exist.
        let eogNames = Set(eogIDs.map(name))
        if let end = exactID("<|end|>"), eogIDs.contains(end),
           (eogNames.contains("<|return|>") && eogNames.contains("<|call|>"))
            || ((eogNames.contains("<|call|>") || eogNames.contains("<|calls|>")) && eogNames.contains("<|flush|>")) {
            eogIDs.remove(end)
            attributes[end] = .userDefined
        }
        if let s = exactID("</s>"), eogIDs.contains(s),
           eogNames.contains("<|tool_response>") || eogNames.contains("<|plamo:eos|>") {
            eogIDs.remove(s)
            attributes[s] = .normal
        }
        endOfGeneration = eogIDs

        // Special tokens, longest first (llama.cpp's std::sort is not stable; ties go by id here).
        let special: TokenAttributes = [.control, .userDefined, .unknown]
        specialTokens = (0 ..< count).filter { !attributes[$0].isDisjoint(with: special) }
        specialTokens.sort { a, b in
            let la = textStart[a + 1] - textStart[a], lb = textStart[b + 1] - textStart[b]
            return la != lb ? la > lb : a < b
        }

        // Phi-3: special tokens swallow the whitespace after them.
        if let modelName = modelName?.lowercased(), modelName.contains("phi-3") || modelName.contains("phi3") {
            for id in specialTokens { attributes[id].insert(.rstrip) }
            if let id = exactID("</s>") { attributes[id].insert(.rstrip) }
            for text in ["<unk>", "<s>", "<|endoftext|>"] {
                if let id = exactID(text) { attributes[id].remove(.rstrip) }
            }
        }
    }

    // MARK: - Metadata access with tokenizer errors

    private static func wrap<T>(_ file: String, _ body: () throws(GGUFError) -> T) throws(TokenizerError) -> T {
        do { return try body() } catch { throw TokenizerError(file: file, kind: .file(error)) }
    }

    private static func string(_ gguf: GGUFFile, _ key: String) throws(TokenizerError) -> String {
        guard gguf.metadata[key] != nil else { throw TokenizerError(file: gguf.path, kind: .missingKey(key)) }
        return try wrap(gguf.path) { () throws(GGUFError) in try gguf.string(key) }
    }

    private static func optionalString(_ gguf: GGUFFile, _ key: String) throws(TokenizerError) -> String? {
        try wrap(gguf.path) { () throws(GGUFError) in try gguf.string(key, default: nil) }
    }

    private static func optionalBool(_ gguf: GGUFFile, _ key: String) throws(TokenizerError) -> Bool? {
        guard gguf.metadata[key] != nil else { return nil }
        return try wrap(gguf.path) { () throws(GGUFError) in try gguf.bool(key) }
    }

    /// A special token id, or nil when absent or out of range (llama.cpp then keeps its default).
    private static func specialID(_ gguf: GGUFFile, _ key: String, count: Int) throws(TokenizerError) -> Int? {
        guard gguf.metadata[key] != nil else { return nil }
        let id = try wrap(gguf.path) { () throws(GGUFError) in try gguf.int(key) }
        return id >= 0 && id < count ? id : nil
    }

    /// A numeric array with at least `count` elements, or nil when absent.
    private static func numbers(_ gguf: GGUFFile, _ key: String, count: Int, file: String) throws(TokenizerError) -> [Double]? {
        guard let value = gguf.metadata[key] else { return nil }
        guard case .array(_, let elements) = value else {
            throw TokenizerError(file: file, kind: .badValue(key: key, reason: "expected an array of numbers, found \(value.type)"))
        }
        guard elements.count >= count else {
            throw TokenizerError(file: file, kind: .badValue(key: key, reason: "has \(elements.count) values for \(count) tokens"))
        }
        var out: [Double] = []
        out.reserveCapacity(count)
        for (i, element) in elements.prefix(count).enumerated() {
            guard let number = element.doubleValue else {
                throw TokenizerError(file: file, kind: .badValue(key: key, reason: "element \(i) is \(element.type), not a number"))
            }
            out.append(number)
        }
        return out
    }
}
