import Inspect
import Transformer

/// One prompt's recorded forward pass, as the glass box keeps it between requests: the logits,
/// the activations the page draws from (embeddings, every attention pattern, every block's
/// output), and — when asked for — every step's summary and histogram, measured as the pass
/// went (nothing else is copied, so a long prompt costs little memory). Any other activation is
/// recorded by a second pass the first time it is asked for.
final class Analysis {
    struct Key: Hashable {
        let tokens: [Int]
        let ablations: [Ablation]
    }

    /// One step: where, what shape, and its values in brief.
    struct Step {
        let point: HookPoint
        let shape: [Int]
        let summary: Summary
        let histogram: Histogram
    }

    static let defaultBins = 24
    /// What the first pass caches: what the tokens, lens, attention and norms views need.
    static let cachedNames = ["hook_embed", "blocks.*.attn.hook_pattern", "blocks.*.hook_resid_post"]

    let key: Key
    /// [T, V]
    let logits: [Float]
    private var cache: [HookPoint: CachedActivation] = [:]
    private(set) var steps: [Step]?

    /// Runs the prompt of `key`; `progress` is told each block as the pass leaves it.
    init(model: Model, key: Key, steps wantSteps: Bool, progress: @escaping (Int) -> Void = { _ in }) throws {
        self.key = key
        let blocks = model.configuration.blockCount
        let T = key.tokens.count
        let session = try InferenceSession(model: model, contextLength: T, batchSize: T)
        let hooks = try ActivationHooks(cache: HookFilter(Self.cachedNames), patches: key.ablations.map(\.patch), blocks: blocks)
        var steps: [Step] = []
        hooks.observer = { a in
            if case .residPost(let block) = a.point { progress(block + 1) }
            guard wantSteps else { return }
            let (summary, histogram) = Self.describe(UnsafeBufferPointer(a.values), bins: Self.defaultBins)
            steps.append(Step(point: a.point, shape: a.shape, summary: summary, histogram: histogram))
        }
        session.hooks = hooks
        logits = try session.evaluateAll(key.tokens)
        for point in hooks.cache.points { cache[point] = hooks.cache[point] }
        self.steps = wantSteps ? steps : nil
    }

    /// The activation at `point`, running the prompt again to record it if needed.
    func activation(_ point: HookPoint, model: Model) throws -> CachedActivation {
        if let a = cache[point] { return a }
        let T = key.tokens.count
        let session = try InferenceSession(model: model, contextLength: T, batchSize: T)
        let filter = HookFilter([point.name])
        let result = try session.run(key.tokens, cache: filter, patches: key.ablations.map(\.patch))
        guard let a = result.cache[point] else { throw APIError.notFound("\(point.name) was not recorded") }
        cache[point] = a
        return a
    }

    /// min, max, mean, std of the finite values (as `TensorSummary`), and their histogram.
    static func describe(_ values: UnsafeBufferPointer<Float>, bins: Int) -> (Summary, Histogram) {
        var lo = Float.infinity, hi = -Float.infinity
        var sum = 0.0, count = 0
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
            sum += Double(v)
            count += 1
        }
        let n = Double(max(count, 1))
        let mean = sum / n
        var squares = 0.0
        var counts = [Int](repeating: 0, count: bins)
        let width = (hi - lo) / Float(bins)
        for v in values where v.isFinite {
            squares += (Double(v) - mean) * (Double(v) - mean)
            let bin = width > 0 ? Int((v - lo) / width) : 0
            counts[min(max(bin, 0), bins - 1)] += 1
        }
        if count == 0 { (lo, hi) = (.nan, .nan) }
        let summary = Summary(min: lo, max: hi, mean: mean, std: (squares / n).squareRoot(), masked: values.count - count)
        return (summary, Histogram(min: lo, max: hi, counts: counts))
    }
}
