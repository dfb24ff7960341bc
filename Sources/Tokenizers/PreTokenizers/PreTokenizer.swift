/// How byte-level BPE text is cut into words before merging, named by `tokenizer.ggml.pre`.
///
/// Each case is the list of regular expressions llama.cpp applies one after another
/// (`llm_tokenizer_bpe`); every expression splits the pieces the previous one left, and
/// both the matches and the text between them become pieces. Loupe implements each
/// expression by hand (`RegexSplitters`), exactly as llama.cpp's own custom splitters and
/// std::regex on its "collapsed" text behave.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// `[\p{P}\$\+<=>\^~\|]+`, then GPT-2's, then `\p{N}+`, then `[0-9][0-9][0-9]`.
    case `default`
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)` (GPT-2, MPT, OLMo).
    case gpt2
    /// Llama 3: case-insensitive contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`, digits in groups of 3, …
    case llama3
    /// Qwen 2: as Llama 3 but every digit alone.
    case qwen2
    /// StarCoder, SmolLM: every digit alone (`\p{N}`), then GPT-2's.
    case starcoder
    /// DeepSeek Coder: `[\r\n]`, `\s?\p{L}+`, `\s?\p{P}+`, CJK runs, `\p{N}`.
    case deepseekCoder = "deepseek-coder"
    /// Falcon: `[\p{P}\$\+<=>\^~\|`]+`, then GPT-2's, then `[0-9][0-9][0-9]`.
    case falcon

    /// What `tokenizer.ggml.pre` may say, and what it implies (llama.cpp `llama_vocab::impl::load`).
    struct Choice {
        let preTokenizer: PreTokenizer
        /// A word that is already a token is taken whole, without merging.
        var ignoreMerges = false
        /// The pre-tokenizer family adds BOS unless the file says otherwise.
        var addBOS = false
        /// `llama_detokenize` removes spaces before punctuation and some contractions
        /// (`clean_up_tokenization_spaces`).
        var cleanSpaces = true
    }

    /// Every `tokenizer.ggml.pre` value Loupe accepts.
    static let choices: [String: Choice] = {
        var table: [String: Choice] = ["default": Choice(preTokenizer: .default)]
        for name in ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"] {
            table[name] = Choice(preTokenizer: .llama3, ignoreMerges: true, addBOS: true)
        }
        for name in ["dbrx", "smaug-bpe"] { table[name] = Choice(preTokenizer: .llama3) }
        for name in ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open"] {
            table[name] = Choice(preTokenizer: .qwen2, cleanSpaces: false)
        }
        for name in ["stablelm2", "megrez"] { table[name] = Choice(preTokenizer: .qwen2) }
        for name in ["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
                     "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais",
                     "exaone4"] {
            table[name] = Choice(preTokenizer: .gpt2)
        }
        for name in ["trillion", "granite-docling"] { table[name] = Choice(preTokenizer: .gpt2, cleanSpaces: false) }
        for name in ["starcoder", "refact", "codeshell", "exaone", "minerva-7b"] {
            table[name] = Choice(preTokenizer: .starcoder)
        }
        for name in ["command-r", "smollm"] { table[name] = Choice(preTokenizer: .starcoder, cleanSpaces: false) }
        table["deepseek-coder"] = Choice(preTokenizer: .deepseekCoder, cleanSpaces: false)
        table["falcon"] = Choice(preTokenizer: .falcon)
        return table
    }()

    /// Accepted names, sorted, for error messages.
    static var knownNames: [String] { choices.keys.sorted() }

    /// Cuts `text` (code points with their flags) into words; returns each word's length in code points.
    func split(_ text: CodepointText) -> [Int] {
        var pieces = [text.count]
        switch self {
        case .default:
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.punctuationRun(extra: "$+<=>^~|"))
            pieces = RegexSplitters.gpt2(text, pieces)
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.numberRun)
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.threeASCIIDigits)
        case .gpt2:
            pieces = RegexSplitters.gpt2(text, pieces)
        case .llama3:
            pieces = RegexSplitters.llama3(text, pieces, digitGroup: 3)
        case .qwen2:
            pieces = RegexSplitters.llama3(text, pieces, digitGroup: 1)
        case .starcoder:
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.singleNumber)
            pieces = RegexSplitters.gpt2(text, pieces)
        case .deepseekCoder:
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.lineBreak)
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.optionalSpaceThen(\.isLetter))
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.optionalSpaceThen(\.isPunctuation))
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.cjkRun)
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.singleNumber)
        case .falcon:
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.punctuationRun(extra: "$+<=>^~|`"))
            pieces = RegexSplitters.gpt2(text, pieces)
            pieces = RegexSplitters.split(text, pieces, matching: RegexSplitters.threeASCIIDigits)
        }
        return pieces
    }
}

/// Text as code points (decoded leniently, as llama.cpp does) with each one's flags.
struct CodepointText {
    var codepoints: [UInt32]
    var flags: [CodepointFlags]
    var count: Int { codepoints.count }

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        codepoints = LenientUTF8.codepoints(bytes)
        flags = codepoints.map { CodepointFlags.of($0) }
    }
}
