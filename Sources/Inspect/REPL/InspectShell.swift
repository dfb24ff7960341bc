import Decoding
import Foundation
import Grammar
import Kernels
import Tokenizers
import Transformer

/// The interpreter behind `loupe inspect`: a prompt, its recorded forward pass, a cursor that
/// `step` and `next` move through it, and the commands that look at what is there.
///
/// It reads one command line at a time and writes its answers through `write`; the terminal
/// (line editing, colours) is the caller's business.
public final class InspectShell {
    public let model: Model
    public let tokenizer: Tokenizer
    /// How heatmaps are drawn.
    public var shading: Shading
    /// The prompt's tokens (and the sampled ones after it).
    public private(set) var tokens: [Int] = []
    /// The recorded forward pass of `tokens`.
    public private(set) var trace: ForwardTrace?
    /// Index in `trace.steps` of the current step; −1 before the first.
    public private(set) var cursor = -1
    /// The samplers `top` shows and `sample` uses.
    public var samplers = SamplerView(temperature: 0.8, topK: 40, topP: 0.95)
    /// Seed of `sample`'s draws (each draw uses seed + number of tokens, so a script repeats).
    public var seed: UInt32 = 42
    /// The language of explanations, help and messages.
    public var language: Language
    /// The parts of the model switched off (`ablate`); the trace runs with their patches.
    public private(set) var ablations: [Ablation] = []
    /// The last-position logits of the unablated model, while something is ablated (for `top`).   [V]
    private var originalLogits: [Float]?
    private let write: (String) -> Void

    public init(model: Model, tokenizer: Tokenizer, shading: Shading = .characters, language: Language = .en,
                write: @escaping (String) -> Void) {
        self.model = model
        self.tokenizer = tokenizer
        self.shading = shading
        self.language = language
        self.write = write
    }

    private var strings: Strings { language.strings }

    private var blocks: Int { model.configuration.blockCount }
    private var labels: [String] { tokens.map { tokenizer.piece($0) } }

    /// Runs one command line. Returns false when the user asked to quit.
    @discardableResult
    public func execute(_ line: String) -> Bool {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let command = words.first?.lowercased() else { return true }
        let arguments = Array(words.dropFirst())
        let rest = line.drop { $0 == " " }.dropFirst(command.count).trimmingCharacters(in: .whitespaces)
        do {
            switch command {
            case "help", "?": write(strings.help)
            case "quit", "exit", "q": return false
            case "prompt": try setPrompt(rest)
            case "tokens": try showTokens()
            case "step", "s": try step(count: Int(arguments.first ?? "1") ?? 1)
            case "next", "n": try nextBlock()
            case "run", "r": try runToEnd()
            case "show": try show(rest)
            case "attn": try attention(arguments)
            case "lens": try lens()
            case "top": try top(k: Int(arguments.first ?? "10") ?? 10)
            case "temp": samplers.temperature = try number(arguments, "temp T (0: greedy)"); try top(k: 10)
            case "topk": samplers.topK = Int(try number(arguments, "topk K (0: off)")); try top(k: 10)
            case "topp": samplers.topP = try number(arguments, "topp P (1: off)"); try top(k: 10)
            case "minp": samplers.minP = try number(arguments, "minp P (0: off)"); try top(k: 10)
            case "repeat":
                let penalty = try number(arguments, "repeat R (1: off)")
                guard penalty > 0 else { throw InspectError("repeat R: the penalty must be above 0 (1: off)") }
                samplers.repeatPenalty = penalty
                try top(k: 10)
            case "sample": try sample()
            case "grammar": try setGrammar(rest, schema: false)
            case "schema": try setGrammar(rest, schema: true)
            case "ablate": try ablate(arguments)
            case "restore": try restore()
            case "kernels": try kernels()
            case "block": try block(arguments)
            case "save": try save(arguments)
            default: throw InspectError("unknown command '\(command)'; type help")
            }
        } catch {
            write("error: \(error)")
        }
        return true
    }

    /// The command list (in English; `language.strings.help` for the shell's language).
    public static let help = Strings.english.help

    // MARK: - Prompt and stepping

    private func setPrompt(_ text: String) throws {
        guard !text.isEmpty else { throw InspectError("give the text: prompt The capital of France is") }
        try load(tokens: tokenizer.promptTokens(text, parseSpecial: true))
        samplers.grammar?.reset()
        write("\(tokens.count) tokens: " + labels.map { TokenLabel.display($0) }.joined(separator: " │ "))
        write(Strings.fill(strings.tokensRecorded, trace!.steps.count))
    }

    /// Runs and records the forward pass of `tokens`, putting the cursor before the first step.
    public func load(tokens: [Int]) throws {
        let limit = model.defaultContextLength
        guard tokens.count <= limit else { throw InspectError("\(tokens.count) tokens exceed the context of \(limit)") }
        trace = try ForwardTrace(model: model, tokens: tokens, patches: ablations.map(\.patch))
        if ablations.isEmpty {
            originalLogits = nil
        } else {
            // The unablated model's prediction, for `top` to compare with.
            let session = try InferenceSession(model: model, contextLength: tokens.count, batchSize: tokens.count)
            originalLogits = Array(try session.evaluateAll(tokens).suffix(model.configuration.vocabularySize))
        }
        self.tokens = tokens
        cursor = -1
    }

    private func recorded() throws -> ForwardTrace {
        guard let trace else { throw InspectError(strings.noPrompt) }
        return trace
    }

    private func showTokens() throws {
        _ = try recorded()
        for (position, id) in tokens.enumerated() {
            write(String(format: "%4ld  %6ld  ", position, id) + TextPictures.quoted(tokenizer.piece(id)))
        }
    }

    private func step(count: Int) throws {
        let trace = try recorded()
        for _ in 0 ..< max(count, 1) {
            guard cursor + 1 < trace.steps.count else { write(strings.forwardDone); return }
            cursor += 1
            describeCurrent()
        }
    }

    private func nextBlock() throws {
        let trace = try recorded()
        let current = cursor >= 0 ? trace.steps[cursor].point.block : nil
        let target: Int?
        if cursor < 0 || trace.steps[cursor].point == .embed {
            target = trace.firstStep(ofBlock: 0)
        } else if let block = current {
            target = trace.firstStep(ofBlock: block + 1)
        } else {
            target = cursor + 1 < trace.steps.count ? cursor + 1 : nil
        }
        guard let target else { write(strings.forwardDone); return }
        cursor = target
        describeCurrent()
    }

    private func runToEnd() throws {
        let trace = try recorded()
        cursor = trace.steps.count - 1
        describeCurrent()
        let V = model.configuration.vocabularySize
        let guess = topTokens(1, of: trace.logits[trace.logits.count - V ..< trace.logits.count], tokenizer: tokenizer)[0]
        write(Strings.fill(strings.nextToken, TextPictures.quoted(guess.piece), guess.id, format(guess.probability)))
    }

    /// `[12/623] blocks.0.attn.hook_q  [6, 9, 64]  (llama.cpp Qcur-0 after RoPE)` and the lecture line.
    private func describeCurrent() {
        guard let trace, cursor >= 0 else { return }
        let a = trace.steps[cursor]
        let shape = "[" + a.shape.map(String.init).joined(separator: ", ") + "]"
        let alias = a.point.llamaCppName.map { "  (llama.cpp: \($0))" } ?? ""
        write("[\(cursor + 1)/\(trace.steps.count)] \(a.point.name)  \(shape)\(alias)")
        write("    " + a.point.lecture(in: language))
    }

    // MARK: - Looking at activations

    private func show(_ name: String) throws {
        let trace = try recorded()
        let activation: CachedActivation
        if name.isEmpty {
            guard cursor >= 0 else { throw InspectError("no current step yet: step, or show NAME") }
            activation = trace.steps[cursor]
        } else {
            guard let point = HookPoint.named(name, blocks: blocks) else { throw HookNameError(name: name, blocks: blocks) }
            activation = trace[point]!
        }
        write(activation.point.name + "  " + TensorSummary(activation.values, shape: activation.shape).text)
    }

    private func attention(_ arguments: [String]) throws {
        let trace = try recorded()
        guard let layer = arguments.first.flatMap({ Int($0) }), layer >= 0, layer < blocks else {
            throw InspectError("attn L [H] with L in 0…\(blocks - 1)")
        }
        let maps = attentionMaps(trace[.pattern(layer)]!)
        var heads = Array(maps.indices)
        if arguments.count > 1 {
            guard let head = Int(arguments[1]), maps.indices.contains(head) else {
                throw InspectError("head must be in 0…\(maps.count - 1)")
            }
            heads = [head]
        }
        for head in heads {
            write(TextPictures.heatmap(maps[head], labels: labels, title: "layer \(layer) head \(head) (rows: queries, columns: keys)",
                                       shading: shading))
        }
    }

    /// The logit lens of every block: [L][T] top guesses, and the model's prediction [T].
    private func lensData(top k: Int) throws -> (lens: [[TokenGuess]], prediction: [TokenGuess]) {
        let trace = try recorded()
        let lensModel = LogitLens(model: model)
        let V = model.configuration.vocabularySize
        let rows = (0 ..< blocks).map { block in
            LogitLens.top(k, logits: lensModel.logits(residual: trace[.residPost(block)]!.values),
                          vocabulary: V, tokenizer: tokenizer).map { $0[0] }
        }
        let prediction = LogitLens.top(k, logits: trace.logits, vocabulary: V, tokenizer: tokenizer).map { $0[0] }
        return (rows, prediction)
    }

    private func lens() throws {
        let (rows, prediction) = try lensData(top: 1)
        write(strings.lensHeading)
        write(TextPictures.lensTable(rows, prediction: prediction, labels: labels))
    }

    private func lastLogits() throws -> [Float] {
        let trace = try recorded()
        let V = model.configuration.vocabularySize
        return Array(trace.logits.suffix(V))
    }

    private func top(k: Int) throws {
        let logits = try lastLogits()
        let after = samplers.stages(logits, context: tokens, k: max(1, k), tokenizer: tokenizer)
        guard let originalLogits else {
            for stage in after {
                write("── \(stage.name): " + stageSummary(stage))
                write(TextPictures.bars(stage.top))
            }
            return
        }
        // Ablated: the original model's stage on the left, the ablated one's on the right.
        let before = samplers.stages(originalLogits, context: tokens, k: max(1, k), tokenizer: tokenizer)
        let (left, right) = strings.beforeAfter
        write(right + ": " + ablations.map(\.description).joined(separator: ", "))
        for (b, a) in zip(before, after) {
            write("── \(b.name): " + pad(left + " " + stageSummary(b), 60) + right + " " + stageSummary(a))
            write(TextPictures.sideBySide(TextPictures.bars(b.top, width: 16), TextPictures.bars(a.top, width: 16), width: 60))
        }
    }

    /// "N candidates", and for the grammar stage what it removed and the probability it took.
    private func stageSummary(_ stage: SamplerView.Stage) -> String {
        let candidates = Strings.fill(strings.candidates, stage.remaining)
        guard stage.name == "grammar" else { return candidates }
        let percent = (stage.removedMass * 1000).rounded() / 10
        return candidates + " (removed \(stage.removed), \(percent)% of the probability)"
    }

    // MARK: - Interventions

    /// `ablate L H`, `ablate attn L`, `ablate mlp L`: switch a part off and run the prompt again.
    private func ablate(_ arguments: [String]) throws {
        _ = try recorded()
        let usage = "usage: ablate L H · ablate attn L · ablate mlp L"
        let c = model.configuration
        let ablation: Ablation
        switch (arguments.first?.lowercased(), arguments.count) {
        case ("attn", 2):
            guard let layer = Int(arguments[1]) else { throw InspectError(usage) }
            ablation = .attention(layer: layer)
        case ("mlp", 2):
            guard let layer = Int(arguments[1]) else { throw InspectError(usage) }
            ablation = .mlp(layer: layer)
        case (_, 2):
            guard let layer = Int(arguments[0]), let head = Int(arguments[1]) else { throw InspectError(usage) }
            ablation = .head(layer: layer, head: head)
        default: throw InspectError(usage)
        }
        try ablation.validate(blocks: c.blockCount, heads: c.headCount)
        if !ablations.contains(ablation) { ablations.append(ablation) }
        try rerun()
        write(Strings.fill(strings.ablated, ablations.map(\.description).joined(separator: ", ")))
    }

    /// `restore`: remove every ablation and run the prompt again.
    private func restore() throws {
        _ = try recorded()
        guard !ablations.isEmpty else { write(strings.nothingAblated); return }
        ablations = []
        try rerun()
        write(strings.restored)
    }

    /// Runs the same tokens again (with the current ablations), keeping the cursor.
    private func rerun() throws {
        let cursor = self.cursor
        try load(tokens: tokens)
        self.cursor = cursor
    }

    private func sample() throws {
        let logits = try lastLogits()
        let id = samplers.sample(logits, context: tokens, seed: seed &+ UInt32(tokens.count))
        try load(tokens: tokens + [id])
        cursor = trace!.steps.count - 1
        write("sampled #\(id) \(TextPictures.quoted(tokenizer.piece(id)))")
        write("text: " + tokenizer.decode(tokens).replacingNewlines())
    }

    /// `grammar FILE` / `schema FILE` / `grammar json` / `grammar off`: the text sampled from now on
    /// must follow the grammar.
    private func setGrammar(_ argument: String, schema: Bool) throws {
        guard !argument.isEmpty else { throw InspectError(schema ? "usage: schema FILE.json" : "usage: grammar FILE.gbnf | json | off") }
        if !schema && argument == "off" {
            samplers.grammar = nil
            write("grammar off")
            return
        }
        let grammar: Grammar
        do {
            if !schema && argument == "json" {
                grammar = .anyJSON
            } else if schema {
                guard let data = FileManager.default.contents(atPath: argument) else { throw InspectError("cannot read '\(argument)'") }
                grammar = try Grammar(jsonSchema: data)
            } else {
                grammar = try Grammar(contentsOfFile: argument)
            }
        } catch let error as GrammarError {
            throw InspectError("\(argument): \(error)")
        }
        samplers.grammar = GrammarStage(grammar: grammar, tokenizer: tokenizer)
        write("grammar set (\(grammar.ruleCount) rules): the tokens sampled from now on must follow it; `top` shows its stage")
    }

    private func number(_ arguments: [String], _ usage: String) throws -> Float {
        guard let text = arguments.first, let value = Float(text), value.isFinite else { throw InspectError("usage: \(usage)") }
        return value
    }

    // MARK: - Kernels and blocks

    /// The matrix product of the current step and its input: W and x as the forward pass used them.
    func currentProduct() throws -> (WeightMatrix, [Float]) {
        let trace = try recorded()
        let point = cursor >= 0 ? trace.steps[cursor].point : .embed
        let product = try StepProduct(point: point, model: model) { trace[$0]?.values }
        return (product.weight, product.input)
    }

    private func kernels() throws {
        let (w, x) = try currentProduct()
        let T = x.count / w.columns
        write("\(w.name) (\(w.type), [\(w.rows), \(w.columns)]) × x [\(T), \(w.columns)]: "
              + (T == 1 ? "matrix-vector" : "matrix-matrix") + " product")
        write(KernelComparison(weight: w, input: x).text)
    }

    private func block(_ arguments: [String]) throws {
        guard arguments.count == 2, let index = Int(arguments[1]) else {
            throw InspectError("usage: block NAME I, e.g. block blk.0.attn_q.weight 0")
        }
        write(try BlockView(file: model.file, tensor: arguments[0], index: index).text)
    }

    // MARK: - Saving

    private func save(_ arguments: [String]) throws {
        let trace = try recorded()
        guard arguments.count >= 2 else { throw InspectError("usage: save attn L FILE.svg · save lens FILE.svg · save NAME FILE.npy") }
        let path = arguments[arguments.count - 1]
        switch arguments[0] {
        case "attn":
            guard arguments.count == 3, let layer = Int(arguments[1]), layer >= 0, layer < blocks else {
                throw InspectError("usage: save attn L FILE.svg with L in 0…\(blocks - 1)")
            }
            let svg = try attentionSVG(tokens: labels, patterns: attentionMaps(trace[.pattern(layer)]!), layer: layer)
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
        case "lens":
            let (rows, _) = try lensData(top: 1)
            let svg = try logitLensSVG(tokens: labels, topTokens: rows.map { $0.map(\.piece) },
                                       probabilities: rows.map { $0.map(\.probability) })
            try svg.write(toFile: path, atomically: true, encoding: .utf8)
        default:
            let name = arguments.dropLast().joined(separator: " ")
            guard let point = HookPoint.named(name, blocks: blocks) else { throw HookNameError(name: name, blocks: blocks) }
            let a = trace[point]!
            try NumPyFile.write(a.values, shape: a.shape, to: path)
        }
        write("wrote \(path)")
    }
}
