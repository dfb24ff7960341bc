import Inspect

// The JSON API of the glass box: one request and one response type per endpoint, Codable,
// independent of any HTTP framework (GlassBoxHTTP mounts them under /loupe/v1/). Field names
// are the JSON keys; every array's shape is written next to it.

/// Where the model's work starts from: a prompt (tokenized as `loupe tokenize --special`
/// does) or token ids, and the parts of the model switched off.
public struct PromptRequest: Codable, Sendable {
    /// The text; special tokens such as `<|im_start|>` are read as one token.
    public var prompt: String?
    /// Token ids instead of `prompt` (BOS is not added).
    public var ids: [Int]?
    /// Parts of the model switched off for this run.
    public var ablations: [AblationSpec]?

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec]? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
    }
}

/// One ablation: `{"kind": "head", "layer": 3, "head": 5}`, `{"kind": "attn", "layer": 3}`
/// or `{"kind": "mlp", "layer": 3}`.
public struct AblationSpec: Codable, Sendable, Hashable {
    public var kind: String
    public var layer: Int
    public var head: Int?

    public init(kind: String, layer: Int, head: Int? = nil) {
        self.kind = kind
        self.layer = layer
        self.head = head
    }

    /// The ablation, or an error naming what is wrong.
    func ablation(blocks: Int, heads: Int) throws -> Ablation {
        let a: Ablation
        switch kind {
        case "head":
            guard let head else { throw APIError.badRequest("ablation of kind head needs \"head\"") }
            a = .head(layer: layer, head: head)
        case "attn", "attention": a = .attention(layer: layer)
        case "mlp": a = .mlp(layer: layer)
        default: throw APIError.badRequest("ablation kind '\(kind)': use head, attn or mlp")
        }
        do { try a.validate(blocks: blocks, heads: heads) } catch { throw APIError.badRequest(error.description) }
        return a
    }
}

/// An error the API answers with a status and `{"error": message}`.
public enum APIError: Error, CustomStringConvertible, Sendable {
    /// 400: the request is malformed or names something that does not exist.
    case badRequest(String)
    /// 404: no such endpoint or object.
    case notFound(String)

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .notFound: 404
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let m), .notFound(let m): m
        }
    }
}

/// `{"error": "…"}`.
public struct ErrorResponse: Codable, Sendable {
    public let error: String

    public init(error: String) {
        self.error = error
    }
}

// MARK: - Model and strings

/// `GET /loupe/v1/model`: what the page needs to size its controls.
public struct ModelResponse: Codable, Sendable {
    public let file: String
    public let architecture: String
    /// L, h, h_kv, d_model, d_head, d_ff, V.
    public let layers: Int
    public let heads: Int
    public let kvHeads: Int
    public let dModel: Int
    public let dHead: Int
    public let dFF: Int
    public let vocabulary: Int
    public let contextLength: Int
    public let backend: String
    /// True when the model has a chat template Loupe recognizes (the playground's chat mode).
    public let chat: Bool
    /// Weight tensors (`blk.0.attn_q.weight`) with their type, for the block viewer.
    public let tensors: [TensorInfo]
    /// Every hook name of the model, in forward order.
    public let hooks: [String]

    public struct TensorInfo: Codable, Sendable {
        public let name: String
        public let type: String
        public let shape: [Int]
        public let blocks: Int
    }
}

/// `GET /loupe/v1/strings`: every sentence of the page and the lecture, per language.
public struct StringsResponse: Codable, Sendable {
    /// language code → key → text (`page` labels and `lecture.KIND` explanations).
    public let languages: [String: [String: String]]
}

/// `GET /loupe/v1/progress`: whether a forward pass is running, and how many blocks it has done.
public struct ProgressResponse: Codable, Sendable {
    public let busy: Bool
    public let done: Int
    public let total: Int
}

// MARK: - Tokens

/// One token: position, id, text (`piece`, with the tokenizer's own spaces) and a label for display (`␣Paris`).
public struct TokenInfo: Codable, Sendable {
    public let position: Int
    public let id: Int
    public let piece: String
    public let label: String
}

/// `POST /loupe/v1/tokenize` → the tokens.
public struct TokenizeResponse: Codable, Sendable {
    public let tokens: [TokenInfo]
}

// MARK: - Steps

/// `POST /loupe/v1/steps` request: the prompt, the language of the explanations, histogram bins.
public struct StepsRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    public var ablations: [AblationSpec]?
    /// `en` or `fr`.
    public var lang: String?
    /// Histogram bins (default 24).
    public var bins: Int?

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec]? = nil, lang: String? = nil, bins: Int? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
        self.lang = lang
        self.bins = bins
    }

    var promptRequest: PromptRequest { PromptRequest(prompt: prompt, ids: ids, ablations: ablations) }
}

/// min, max, mean, std over the finite values; `masked`: how many are −∞.
public struct Summary: Codable, Sendable, Equatable {
    public let min: Float
    public let max: Float
    public let mean: Double
    public let std: Double
    public let masked: Int
}

/// Counts of the finite values in `bins` equal bins from `min` to `max`.
public struct Histogram: Codable, Sendable, Equatable {
    public let min: Float
    public let max: Float
    public let counts: [Int]
}

/// One step of the forward pass, as `loupe inspect`'s `step` shows it.
public struct StepInfo: Codable, Sendable {
    public let index: Int
    /// TransformerLens name (`blocks.0.attn.hook_pattern`).
    public let name: String
    /// The step's kind (`pattern`), the key of its explanation.
    public let kind: String
    public let block: Int?
    /// llama.cpp's name of the same tensor, when it has one.
    public let llamaCpp: String?
    public let shape: [Int]
    /// The lecture's explanation, in the language asked for.
    public let explanation: String
    public let summary: Summary
    public let histogram: Histogram
}

/// `POST /loupe/v1/steps` → every step.
public struct StepsResponse: Codable, Sendable {
    public let steps: [StepInfo]
}

// MARK: - Activations

/// `POST /loupe/v1/activation` request (and `GET /loupe/v1/activation.npy?prompt=…&hook=…`).
public struct ActivationRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    public var ablations: [AblationSpec]?
    /// Any name `loupe dump --hook` accepts for one point: `blocks.0.attn.hook_pattern`, `pattern 0`, `kq_soft_max-0`.
    public var hook: String

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec]? = nil, hook: String) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
        self.hook = hook
    }

    var promptRequest: PromptRequest { PromptRequest(prompt: prompt, ids: ids, ablations: ablations) }
}

/// An activation: its name, shape and row-major values (−∞ is sent as null).
public struct ActivationResponse: Codable, Sendable {
    public let name: String
    public let shape: [Int]
    public let values: [Float?]
}

// MARK: - Attention, lens, norms

/// `POST /loupe/v1/attention` request: the prompt and the layer.
public struct AttentionRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    public var ablations: [AblationSpec]?
    public var layer: Int
    /// `"json"` (default): `patterns` as nested arrays; `"float32"`: `float32`, the same values
    /// as base64 bytes, which the page asks for (a 1000-token prompt's 9 × 1000² weights took
    /// 13 s to encode and parse as JSON numbers).
    public var format: String?

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec]? = nil, layer: Int, format: String? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
        self.layer = layer
        self.format = format
    }

    var promptRequest: PromptRequest { PromptRequest(prompt: prompt, ids: ids, ablations: ablations) }
}

/// Every head's pattern of one layer: `patterns[head][query][key]`, [h][T][T]; or, with
/// `format: "float32"`, `float32`: the same h·T·T values, row-major, as little-endian float32
/// bytes in base64.
public struct AttentionResponse: Codable, Sendable {
    public let layer: Int
    public let heads: Int
    public let tokens: Int
    public var patterns: [[[Float]]]?
    public var float32: String?
}

/// `POST /loupe/v1/lens` request: how many guesses per cell and which positions (default: the last 8).
public struct LensRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    public var ablations: [AblationSpec]?
    /// Guesses per cell (default 1, at most 10).
    public var top: Int?
    /// Positions to read (default: the last `last`).
    public var positions: [Int]?
    /// How many last positions when `positions` is absent (default 8).
    public var last: Int?

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec]? = nil, top: Int? = nil,
                positions: [Int]? = nil, last: Int? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
        self.top = top
        self.positions = positions
        self.last = last
    }

    var promptRequest: PromptRequest { PromptRequest(prompt: prompt, ids: ids, ablations: ablations) }
}

/// A token and its probability.
public struct Guess: Codable, Sendable, Equatable {
    public let id: Int
    public let piece: String
    public let probability: Float

    init(_ g: TokenGuess) {
        id = g.id
        piece = g.piece
        probability = g.probability
    }
}

/// The logit lens: `rows[layer][i][rank]` for each position `positions[i]`, and the model's own
/// prediction `model[i][rank]`.
public struct LensResponse: Codable, Sendable {
    public let positions: [Int]
    public let rows: [[[Guess]]]
    public let model: [[Guess]]
}

/// ‖x‖₂ of the residual stream: `norms[0]` enters block 0 (the embeddings), `norms[i + 1]`
/// leaves block i.   [L + 1][T]
public struct NormsResponse: Codable, Sendable {
    public let labels: [String]
    public let norms: [[Float]]
}

// MARK: - Samplers and interventions

/// The sampler settings of `loupe generate` (llama.cpp's defaults when absent).
public struct SamplingSettings: Codable, Sendable {
    public var temperature: Float?
    public var topK: Int?
    public var topP: Float?
    public var minP: Float?
    public var repeatPenalty: Float?
    public var seed: UInt32?

    public init(temperature: Float? = nil, topK: Int? = nil, topP: Float? = nil, minP: Float? = nil,
                repeatPenalty: Float? = nil, seed: UInt32? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.seed = seed
    }
}

/// `POST /loupe/v1/next` request: the next token's distribution through each sampler.
public struct NextRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    public var ablations: [AblationSpec]?
    public var sampling: SamplingSettings?
    /// Candidates shown per stage (default 10).
    public var k: Int?

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec]? = nil,
                sampling: SamplingSettings? = nil, k: Int? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
        self.sampling = sampling
        self.k = k
    }

    var promptRequest: PromptRequest { PromptRequest(prompt: prompt, ids: ids, ablations: ablations) }
}

/// One stage of the sampler chain: its name (`softmax(logits)`, `top-k 40`, …), how many
/// candidates remain, the most likely ones after it, and the token it drew (the last stage).
public struct StageInfo: Codable, Sendable {
    public let name: String
    public let remaining: Int
    public let top: [Guess]
    public let drawn: Guess?

    init(_ s: SamplerView.Stage) {
        name = s.name
        remaining = s.remaining
        top = s.top.map(Guess.init)
        drawn = s.selected.map(Guess.init)
    }
}

/// `POST /loupe/v1/next` → the stages and the token drawn.
public struct NextResponse: Codable, Sendable {
    public let stages: [StageInfo]
    public let drawn: Guess
}

/// `POST /loupe/v1/intervene` request: the ablations to compare with the original model.
public struct InterveneRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    public var ablations: [AblationSpec]
    /// Tokens compared (default 10).
    public var k: Int?

    public init(prompt: String? = nil, ids: [Int]? = nil, ablations: [AblationSpec], k: Int? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.ablations = ablations
        self.k = k
    }
}

/// The next-token distribution of the original and the ablated model, side by side: the union
/// of both top-k lists, each with both probabilities, most likely (originally) first.
public struct InterveneResponse: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public let id: Int
        public let piece: String
        public let original: Float
        public let ablated: Float
    }

    public let ablations: [AblationSpec]
    public let rows: [Row]
    /// max over tokens of |p_ablated − p_original|, over the whole vocabulary.
    public let largestChange: Float
}

// MARK: - Kernels and blocks

/// `POST /loupe/v1/kernels` request: the step whose product runs on each kernel.
public struct KernelsRequest: Codable, Sendable {
    public var prompt: String?
    public var ids: [Int]?
    /// A hook name (default `blocks.0.attn.hook_q`).
    public var hook: String?

    public init(prompt: String? = nil, ids: [Int]? = nil, hook: String? = nil) {
        self.prompt = prompt
        self.ids = ids
        self.hook = hook
    }
}

/// The product y = x·Wᵀ on each backend: seconds and max |y − y_naive|.
public struct KernelsResponse: Codable, Sendable {
    public struct Result: Codable, Sendable {
        public let backend: String
        public let seconds: Double
        public let maxDifference: Float
    }

    public let weight: String
    public let type: String
    /// W: [rows, columns]; x: [T, columns].
    public let weightShape: [Int]
    public let inputShape: [Int]
    public let results: [Result]
    /// Backends that could not run here (`blas` without OpenBLAS).
    public let missing: [String]
}

/// `GET /loupe/v1/block?tensor=blk.0.attn_q.weight&index=0`: one quantized block.
public struct BlockResponse: Codable, Sendable {
    public struct Field: Codable, Sendable {
        public let name: String
        public let bytes: [UInt8]
    }

    public let tensor: String
    public let type: String
    public let index: Int
    public let bytesPerBlock: Int
    public let fields: [Field]
    /// The block's weights as Loupe decodes them.
    public let values: [Float]
    /// Quantized again and decoded (nil: Loupe has no quantizer for the type).
    public let requantized: [Float]?
    public let sameBytes: Bool?
}

// MARK: - Generation

/// `POST /loupe/v1/generate` request: a completion of `prompt`, or a chat reply to `messages`.
public struct GenerateRequest: Codable, Sendable {
    public struct Message: Codable, Sendable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public var prompt: String?
    /// Chat mode: the conversation so far, formatted with the model's chat template.
    public var messages: [Message]?
    public var sampling: SamplingSettings?
    /// Tokens to generate at most (default 64, at most 1024).
    public var maxTokens: Int?
    /// Candidates per stage in each token event (default 8).
    public var k: Int?

    public init(prompt: String? = nil, messages: [Message]? = nil, sampling: SamplingSettings? = nil,
                maxTokens: Int? = nil, k: Int? = nil) {
        self.prompt = prompt
        self.messages = messages
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.k = k
    }
}

/// One line of `/loupe/v1/generate`'s stream (JSON lines): `start` (the prompt's tokens),
/// then `token` per generated token (its text, the probability the draw gave it, every
/// stage's candidates), then `done` (why it stopped) — or `error`.
public struct GenerateEvent: Codable, Sendable {
    public var type: String
    public var index: Int?
    public var id: Int?
    /// The token's text as it becomes whole UTF-8 characters (may be empty for part of a character).
    public var text: String?
    public var piece: String?
    /// The probability of the drawn token in the distribution it was drawn from.
    public var probability: Float?
    /// Its probability in softmax(logits), before any sampler.
    public var modelProbability: Float?
    public var stages: [StageInfo]?
    public var promptTokens: [TokenInfo]?
    public var stop: String?
    public var error: String?

    public init(type: String) {
        self.type = type
    }
}
