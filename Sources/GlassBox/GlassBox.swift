import Decoding
import Dispatch
import Foundation
import GGUF
import Inspect
import Kernels
import Tokenizers
import Transformer

/// The glass box's handlers: each API request in, its response out, computed on the real model.
///
/// Model work runs on two serial queues, never on the caller's thread (an HTTP server's event
/// loop): `inspection` (forward passes, lens, kernels) and `generation` (the playground), so a
/// long generation does not hold up someone's inspection and the other way round. The last few
/// inspected prompts are kept (their tokens, cached activations and step summaries), so the
/// page's successive requests about one prompt — tokens, then lens, then layer 0's attention —
/// run the forward pass once.
///
///     let box = GlassBox(model: model, tokenizer: tokenizer, file: "SmolLM2.gguf")
///     let lens = try await box.inspect { try $0.lens(LensRequest(prompt: "The capital of France is")) }
public final class GlassBox: @unchecked Sendable {
    public let model: Model
    public let tokenizer: Tokenizer
    /// The model file's name, for the page's header.
    public let file: String
    private let inspection = DispatchQueue(label: "loupe.glassbox.inspection")
    private let generation = DispatchQueue(label: "loupe.glassbox.generation")
    /// Recent analyses, most recent last (touched only on `inspection`).
    private var recent: [Analysis] = []
    private static let keptAnalyses = 4
    /// How far the forward pass in progress is (`GET /loupe/v1/progress`).
    public let progress = PassProgress()

    public init(model: Model, tokenizer: Tokenizer, file: String) {
        self.model = model
        self.tokenizer = tokenizer
        self.file = file
    }

    var blocks: Int { model.configuration.blockCount }

    // MARK: - Queues

    /// Runs `body` on the inspection queue and returns its result (the API's handlers that
    /// run the model are meant to be called through this).
    public func inspect<T: Sendable>(_ body: @escaping @Sendable (GlassBox) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            inspection.async { continuation.resume(with: Result(catching: { try body(self) })) }
        }
    }

    /// Streams a generation's events; the work runs on the generation queue and stops when the
    /// consumer goes away (the browser closed the connection).
    public func generateStream(_ request: GenerateRequest) -> AsyncStream<GenerateEvent> {
        AsyncStream { continuation in
            let cancelled = Flag()
            continuation.onTermination = { _ in cancelled.set() }
            generation.async {
                do {
                    try self.generate(request, shouldStop: { cancelled.isSet }) { continuation.yield($0) }
                } catch {
                    var event = GenerateEvent(type: "error")
                    event.error = "\(error)"
                    continuation.yield(event)
                }
                continuation.finish()
            }
        }
    }

    // MARK: - Model and strings

    /// `GET /loupe/v1/model`.
    public func modelInfo() -> ModelResponse {
        let c = model.configuration
        let tensors = model.file.tensors.filter { $0.name.hasSuffix(".weight") && $0.shape.count == 2 }.map {
            ModelResponse.TensorInfo(name: $0.name, type: "\($0.type)", shape: Array($0.shape.reversed()),
                                     blocks: $0.elementCount / $0.type.blockSize)
        }
        return ModelResponse(
            file: file, architecture: c.architecture.name, layers: c.blockCount, heads: c.headCount, kvHeads: c.kvHeadCount,
            dModel: c.embeddingLength, dHead: c.headDimension, dFF: c.feedForwardLength, vocabulary: c.vocabularySize,
            contextLength: model.defaultContextLength, backend: model.backend.name, chat: (try? chatTemplate()) != nil,
            tensors: tensors, hooks: HookPoint.all(c).map(\.name))
    }

    /// `GET /loupe/v1/strings`: the page's labels and the lecture's explanations, per language.
    public static func strings() -> StringsResponse {
        var languages: [String: [String: String]] = [:]
        for language in Language.allCases {
            let s = language.strings
            var table = s.page
            for (kind, text) in s.lecture { table["lecture." + kind] = text }
            languages[language.rawValue] = table
        }
        return StringsResponse(languages: languages)
    }

    // MARK: - Tokens and analyses

    /// The prompt's tokens, or an error naming the problem.
    func tokens(_ r: PromptRequest) throws -> [Int] {
        let tokens: [Int]
        if let ids = r.ids {
            do { try tokenizer.validate(ids) } catch { throw APIError.badRequest("\(error)") }
            tokens = ids
        } else if let prompt = r.prompt {
            tokens = try tokenizer.promptTokens(prompt, parseSpecial: true)
        } else {
            throw APIError.badRequest("give \"prompt\" (text) or \"ids\" (token ids)")
        }
        guard !tokens.isEmpty else { throw APIError.badRequest("the prompt gives no tokens") }
        guard tokens.count <= model.defaultContextLength else {
            throw APIError.badRequest("\(tokens.count) tokens exceed the context of \(model.defaultContextLength)")
        }
        return tokens
    }

    func ablations(_ specs: [AblationSpec]?) throws -> [Ablation] {
        try (specs ?? []).map { try $0.ablation(blocks: blocks, heads: model.configuration.headCount) }
    }

    /// The recorded run of `r` (made now, or kept from a previous request), with step summaries
    /// when `steps` is true.
    func analysis(_ r: PromptRequest, steps: Bool = false) throws -> Analysis {
        let key = Analysis.Key(tokens: try tokens(r), ablations: try ablations(r.ablations))
        if let index = recent.lastIndex(where: { $0.key == key && (!steps || $0.steps != nil) }) {
            let found = recent.remove(at: index)
            recent.append(found)
            return found
        }
        let progress = self.progress
        progress.start(total: blocks)
        defer { progress.finish() }
        let analysis = try Analysis(model: model, key: key, steps: steps) { progress.set($0) }
        recent.removeAll { $0.key == key }
        recent.append(analysis)
        if recent.count > Self.keptAnalyses { recent.removeFirst() }
        return analysis
    }

    /// `POST /loupe/v1/tokenize`.
    public func tokenize(_ r: PromptRequest) throws -> TokenizeResponse {
        TokenizeResponse(tokens: tokenInfos(try tokens(r)))
    }

    func tokenInfos(_ ids: [Int]) -> [TokenInfo] {
        ids.enumerated().map { TokenInfo(position: $0, id: $1, piece: tokenizer.piece($1), label: TokenLabel.display(tokenizer.piece($1))) }
    }

    /// `POST /loupe/v1/steps`: every step with explanation, shape, summary and histogram.
    public func steps(_ r: StepsRequest) throws -> StepsResponse {
        guard let language = Language(code: r.lang ?? "en") else { throw APIError.badRequest("lang '\(r.lang ?? "")': use en or fr") }
        let bins = r.bins ?? Analysis.defaultBins
        guard bins == Analysis.defaultBins else { throw APIError.badRequest("bins: only \(Analysis.defaultBins) for now") }
        let analysis = try analysis(r.promptRequest, steps: true)
        let strings = language.strings
        return StepsResponse(steps: analysis.steps!.enumerated().map { index, s in
            StepInfo(index: index, name: s.point.name, kind: s.point.kind, block: s.point.block,
                     llamaCpp: s.point.llamaCppName, shape: s.shape, explanation: strings.lecture(s.point),
                     summary: s.summary, histogram: s.histogram)
        })
    }

    /// `POST /loupe/v1/activation`: any activation by hook name.
    public func activation(_ r: ActivationRequest) throws -> CachedActivation {
        guard let point = HookPoint.named(r.hook, blocks: blocks) else {
            throw APIError.badRequest("\(HookNameError(name: r.hook, blocks: blocks))")
        }
        return try analysis(r.promptRequest).activation(point, model: model)
    }

    /// The activation as JSON (−∞ as null).
    public func activationJSON(_ r: ActivationRequest) throws -> ActivationResponse {
        let a = try activation(r)
        return ActivationResponse(name: a.point.name, shape: a.shape, values: a.values.map { $0.isFinite ? $0 : nil })
    }

    /// The activation as a `.npy` file's bytes (what `loupe dump` writes).
    public func activationNPY(_ r: ActivationRequest) throws -> (name: String, bytes: [UInt8]) {
        let a = try activation(r)
        return (a.point.name + ".npy", NumPyFile.encode(a.values, shape: a.shape))
    }

    /// `POST /loupe/v1/attention`: every head of one layer.
    public func attention(_ r: AttentionRequest) throws -> AttentionResponse {
        guard r.layer >= 0, r.layer < blocks else { throw APIError.badRequest("layer \(r.layer) is not in 0…\(blocks - 1)") }
        guard [nil, "json", "float32"].contains(r.format) else {
            throw APIError.badRequest("format '\(r.format ?? "")': use json or float32")
        }
        let a = try analysis(r.promptRequest).activation(.pattern(r.layer), model: model)
        let (h, T, P) = (a.shape[0], a.shape[1], a.shape[2])
        var response = AttentionResponse(layer: r.layer, heads: h, tokens: T)
        if r.format == "float32" {
            // Bytes as they lie in memory: little-endian on every CPU Loupe runs on.
            response.float32 = a.values.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedString()
        } else {
            response.patterns = (0 ..< h).map { head in
                (0 ..< T).map { q in Array(a.values[(head * T + q) * P ..< (head * T + q + 1) * P]) }
            }
        }
        return response
    }

    /// `POST /loupe/v1/lens`: the logit lens at some positions.
    public func lens(_ r: LensRequest) throws -> LensResponse {
        let analysis = try analysis(r.promptRequest)
        let T = analysis.key.tokens.count
        let positions = r.positions ?? Array(max(0, T - max(1, r.last ?? 8)) ..< T)
        guard !positions.isEmpty, positions.allSatisfy({ $0 >= 0 && $0 < T }) else {
            throw APIError.badRequest("positions must be in 0…\(T - 1)")
        }
        let top = min(max(r.top ?? 1, 1), 10)
        let d = model.configuration.embeddingLength
        let V = model.configuration.vocabularySize
        // Every (layer, position) row in one product: [L·n, d] → [L·n, V].
        var rows: [Float] = []
        rows.reserveCapacity(blocks * positions.count * d)
        for layer in 0 ..< blocks {
            let x = try analysis.activation(.residPost(layer), model: model)
            for p in positions { rows += x.values[p * d ..< (p + 1) * d] }
        }
        let guesses = LogitLens.top(top, logits: LogitLens(model: model).logits(residual: rows), vocabulary: V, tokenizer: tokenizer)
        let n = positions.count
        let table = (0 ..< blocks).map { layer in (0 ..< n).map { guesses[layer * n + $0].map(Guess.init) } }
        let prediction = positions.map { p in
            topTokens(top, of: analysis.logits[p * V ..< (p + 1) * V], tokenizer: tokenizer).map(Guess.init)
        }
        return LensResponse(positions: positions, rows: table, model: prediction)
    }

    /// `POST /loupe/v1/norms`: the residual stream's norm at every depth and position.
    public func norms(_ r: PromptRequest) throws -> NormsResponse {
        let analysis = try analysis(r)
        let d = model.configuration.embeddingLength
        let points: [HookPoint] = [.embed] + (0 ..< blocks).map { .residPost($0) }
        let norms = try points.map { point in
            let x = try analysis.activation(point, model: model).values
            return stride(from: 0, to: x.count, by: d).map { start in
                x[start ..< start + d].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            }
        }
        return NormsResponse(labels: ["emb"] + (0 ..< blocks).map(String.init), norms: norms)
    }

    // MARK: - Samplers and interventions

    func parameters(_ s: SamplingSettings?) throws -> SamplingParameters {
        let d = SamplingParameters()
        let p = SamplingParameters(temperature: s?.temperature ?? d.temperature, topK: s?.topK ?? d.topK,
                                   topP: s?.topP ?? d.topP, minP: s?.minP ?? d.minP,
                                   repeatPenalty: s?.repeatPenalty ?? d.repeatPenalty, seed: s?.seed ?? 42)
        if let problem = p.validate() { throw APIError.badRequest(problem) }
        return p
    }

    /// `POST /loupe/v1/next`: the next token through the sampler chain `generate` uses.
    public func next(_ r: NextRequest) throws -> NextResponse {
        let analysis = try analysis(r.promptRequest)
        let chain = try parameters(r.sampling).makeChain()
        // The repetition penalty remembers the context, as in `generate`.
        for token in analysis.key.tokens { chain.accept(token) }
        let V = model.configuration.vocabularySize
        let last = Array(analysis.logits.suffix(V))
        let (stages, id) = last.withUnsafeBufferPointer {
            SamplerView.stages(of: chain, logits: $0, k: max(1, min(r.k ?? 10, 100)), tokenizer: tokenizer)
        }
        let drawn = stages.last?.selected ?? TokenGuess(id: id, piece: tokenizer.piece(id), probability: 0)
        return NextResponse(stages: stages.map(StageInfo.init), drawn: Guess(drawn))
    }

    /// `POST /loupe/v1/intervene`: the next-token distribution with and without the ablations.
    public func intervene(_ r: InterveneRequest) throws -> InterveneResponse {
        let original = try analysis(PromptRequest(prompt: r.prompt, ids: r.ids))
        let ablated = try analysis(PromptRequest(prompt: r.prompt, ids: r.ids, ablations: r.ablations))
        let V = model.configuration.vocabularySize
        let p = softmax(Array(original.logits.suffix(V)))
        let q = softmax(Array(ablated.logits.suffix(V)))
        let k = max(1, min(r.k ?? 10, 100))
        var ids = topIndices(p, k)
        for id in topIndices(q, k) where !ids.contains(id) { ids.append(id) }
        let rows = ids.map { InterveneResponse.Row(id: $0, piece: tokenizer.piece($0), original: p[$0], ablated: q[$0]) }
        let change = zip(p, q).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        return InterveneResponse(ablations: r.ablations, rows: rows, largestChange: change)
    }

    // MARK: - Kernels and blocks

    /// `POST /loupe/v1/kernels`: the step's matrix product on naive, SIMD and BLAS.
    public func kernels(_ r: KernelsRequest) throws -> KernelsResponse {
        let name = r.hook ?? "blocks.0.attn.hook_q"
        guard let point = HookPoint.named(name, blocks: blocks) else {
            throw APIError.badRequest("\(HookNameError(name: name, blocks: blocks))")
        }
        let analysis = try analysis(PromptRequest(prompt: r.prompt, ids: r.ids))
        let product = try StepProduct(point: point, model: model) { try? analysis.activation($0, model: model).values }
        let w = product.weight
        let comparison = KernelComparison(weight: w, input: product.input)
        return KernelsResponse(
            weight: w.name, type: "\(w.type)", weightShape: [w.rows, w.columns],
            inputShape: [product.input.count / w.columns, w.columns],
            results: comparison.results.map { .init(backend: $0.backend, seconds: $0.seconds, maxDifference: $0.maxDifference) },
            missing: comparison.missing)
    }

    /// `GET /loupe/v1/block`: one quantized block's bytes and values.
    public func block(tensor: String, index: Int) throws -> BlockResponse {
        let view: BlockView
        do { view = try BlockView(file: model.file, tensor: tensor, index: index) } catch { throw APIError.badRequest("\(error)") }
        return BlockResponse(tensor: view.tensor, type: "\(view.type)", index: view.index, bytesPerBlock: view.type.bytesPerBlock,
                             fields: view.fields.map { .init(name: $0.name, bytes: $0.bytes) }, values: view.values,
                             requantized: view.requantized, sameBytes: view.sameBytes)
    }

    // MARK: - Generation

    /// The model's chat template.
    func chatTemplate() throws -> ChatTemplate {
        guard let jinja = model.file.metadata["tokenizer.chat_template"]?.stringValue, let t = ChatTemplate(jinja: jinja) else {
            throw APIError.badRequest("this model has no chat template Loupe recognizes; use completion")
        }
        return t
    }

    /// Generates with `generate`'s Generator and sampler chain, sending `start`, one `token`
    /// event per token (with every stage's candidates) and `done`.
    public func generate(_ r: GenerateRequest, shouldStop: () -> Bool = { false }, emit: (GenerateEvent) -> Void) throws {
        let text: String
        if let messages = r.messages {
            text = try chatTemplate().format(messages.map { ChatMessage(role: $0.role, content: $0.content) }, addAssistantPrompt: true)
        } else if let prompt = r.prompt {
            text = prompt
        } else {
            throw APIError.badRequest("give \"prompt\" (completion) or \"messages\" (chat)")
        }
        let prompt = try tokenizer.promptTokens(text, parseSpecial: true)
        let maxTokens = max(0, min(r.maxTokens ?? 64, 1024))
        let context = min(model.defaultContextLength, prompt.count + maxTokens + 1)
        guard prompt.count < context else { throw APIError.badRequest("\(prompt.count) tokens fill the context of \(model.defaultContextLength)") }
        let session = try InferenceSession(model: model, contextLength: context, batchSize: min(prompt.count, 512))
        let generator = Generator(session: session, tokenizer: tokenizer, sampler: try parameters(r.sampling).makeChain())
        let k = max(1, min(r.k ?? 8, 50))
        var stages: [SamplerView.Stage] = []
        var modelProbability: Float?
        var probabilities: Candidates?
        var index = 0
        generator.observeSampling = { name, candidates in
            if name == "logits" {
                stages = []
                var all = candidates
                all.softmax()
                modelProbability = nil
                stages.append(SamplerView.stage(name, all, k: k, tokenizer: self.tokenizer))
                probabilities = all
            } else {
                stages.append(SamplerView.stage(name, candidates, k: k, tokenizer: self.tokenizer))
                if let id = candidates.selectedID, let all = probabilities {
                    modelProbability = all.tokens[id].probability
                }
            }
        }
        var start = GenerateEvent(type: "start")
        start.promptTokens = tokenInfos(prompt)
        emit(start)
        let result = try generator.generate(prompt: prompt, maxTokens: maxTokens, shouldStop: shouldStop) { piece in
            guard !stages.isEmpty, let drawn = stages.last?.selected, !tokenizer.isEndOfGeneration(drawn.id) else {
                // The decoder's tail, after the last token.
                if !piece.isEmpty {
                    var event = GenerateEvent(type: "text")
                    event.text = piece
                    emit(event)
                }
                return
            }
            var event = GenerateEvent(type: "token")
            event.index = index
            event.id = drawn.id
            event.piece = tokenizer.piece(drawn.id)
            event.text = piece
            event.probability = drawn.probability
            event.modelProbability = modelProbability
            event.stages = stages.map(StageInfo.init)
            emit(event)
            index += 1
            stages = []
        }
        var done = GenerateEvent(type: "done")
        done.stop = result.stopReason.rawValue
        done.text = result.text
        emit(done)
    }
}

/// How far the running forward pass is: blocks done out of all; read from any thread.
public final class PassProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0, total = 0, busy = false

    func start(total: Int) { lock.withLock { (done, self.total, busy) = (0, total, true) } }
    func set(_ done: Int) { lock.withLock { self.done = done } }
    func finish() { lock.withLock { busy = false } }

    /// `{busy, done, total}`.
    public var snapshot: ProgressResponse { lock.withLock { ProgressResponse(busy: busy, done: done, total: total) } }
}

/// A flag set from one thread and read from another.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// softmax(x) in Double, as the samplers' displays compute probabilities.   [V] → [V]
func softmax(_ x: [Float]) -> [Float] {
    let m = x.max() ?? 0
    var sum = 0.0
    for v in x { sum += Double(expf(v - m)) }
    return x.map { Float(Double(expf($0 - m)) / sum) }
}

/// The indices of the `k` largest values, largest first.
func topIndices(_ p: [Float], _ k: Int) -> [Int] {
    Array(p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(k))
}
