import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// Each option of `Architecture` on small synthetic models: read from the file, and doing what
/// it says in the one forward pass.
struct ArchitectureTests {
    static let tokens = [1, 5, 3, 7, 2, 9, 4, 4, 11, 0, 6, 13, 8, 2, 19, 10, 3, 12]

    static func logits(_ model: SyntheticModel, backend: any Backend = NaiveBackend(), batch: Int = 64) throws -> [Float] {
        let session = try InferenceSession(model: try Model(path: model.path, backend: backend), batchSize: batch)
        return try session.evaluateAll(tokens)
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()!
    }

    @Test("each family's options are read from the file", arguments: ["llama", "qwen2", "qwen3", "gemma3", "phi3"])
    func description(arch: String) throws {
        let model = try Model(path: SyntheticModel(architecture: arch).path, backend: NaiveBackend())
        let a = model.configuration.architecture
        #expect(a.name == arch)
        #expect(a.attentionBiases == (arch == "qwen2"))
        #expect(a.fusedQKV == (arch == "phi3") && a.fusedGateUp == (arch == "phi3"))
        #expect(a.queryKeyNorm == (arch == "qwen3" || arch == "gemma3"))
        #expect(a.postNorms == (arch == "gemma3"))
        #expect(a.activation == (arch == "gemma3" ? .geluTanh : .silu))
        #expect(a.embeddingScale == (arch == "gemma3" ? 4 : 1))
        #expect(a.attentionScale == 0.5)
        #expect(model.configuration.rope.style == (arch == "llama" ? .normal : .neox))
        #expect(!a.description.isEmpty)
    }

    @Test("llama is the description with every option off")
    func llamaIsAllOff() throws {
        let a = try Model(path: SyntheticModel().path, backend: NaiveBackend()).configuration.architecture
        #expect(a == .llama(headDimension: SyntheticModel.headDim))
    }

    @Test("any other architecture is refused with one line naming the five")
    func refused() throws {
        let file = try SyntheticModel(architecture: "mamba")
        do {
            _ = try Model(path: file.path, backend: NaiveBackend())
            Issue.record("mamba loaded")
        } catch {
            #expect(!error.description.contains("\n"))
            for name in Architecture.supported { #expect(error.description.contains("'\(name)'")) }
        }
    }

    @Test("the hook points of each family are visited in HookPoint.all(configuration) order",
          arguments: ["llama", "qwen2", "qwen3", "gemma3", "phi3"])
    func hookOrder(arch: String) throws {
        let model = try Model(path: SyntheticModel(architecture: arch).path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var seen: [HookPoint] = []
        session.hooks = ClosureHooks { seen.append($0.point) }
        _ = try session.evaluateAll([1, 2, 3])
        #expect(seen == HookPoint.all(model.configuration))
        for point in seen { #expect(HookPoint(name: point.name, blocks: SyntheticModel.blocks) == point) }
    }

    @Test("every activation's shape matches its values; per-head norms keep the head axis even with one KV head",
          arguments: ["qwen3", "gemma3"])
    func hookShapes(arch: String) throws {
        let model = try Model(path: SyntheticModel(architecture: arch, kvHeads: 1).path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var shapes: [HookPoint: [Int]] = [:]
        session.hooks = ClosureHooks { a in
            #expect(a.shape.reduce(1, *) == a.values.count, "\(a.point)")
            shapes[a.point] = a.shape
        }
        _ = try session.evaluateAll([1, 2, 3])
        #expect(shapes[.kNormScale(0)] == [3, 1, 1] && shapes[.kNormNormalized(0)] == [3, 1, SyntheticModel.headDim])
        #expect(shapes[.qNormNormalized(1)] == [3, SyntheticModel.heads, SyntheticModel.headDim])
    }

    @Test("hooks do not change the logits of any family", arguments: ["qwen2", "qwen3", "gemma3", "phi3"])
    func hooksAreTransparent(arch: String) throws {
        let file = try SyntheticModel(architecture: arch)
        let model = try Model(path: file.path, backend: NaiveBackend())
        let plain = try InferenceSession(model: model).evaluateAll(Self.tokens)
        let hooked = try InferenceSession(model: model)
        hooked.hooks = ClosureHooks { _ in }
        #expect(Self.maxDifference(plain, try hooked.evaluateAll(Self.tokens)) < 1e-5)
    }

    /// Without hooks, attention runs each tile's scores, softmax and weighted sum together and
    /// skips the masked entries; with hooks, each step runs over all tiles and writes them. A
    /// prompt of several tiles (8 tokens each) must give the same logits either way, on the
    /// fast backends too. (Not to the bit: with hooks RMSNorm takes separate steps.)
    @Test("attention's tiles: the same logits with and without hooks", arguments: ["llama", "gemma3", "qwen2"])
    func tilesWithAndWithoutHooks(arch: String) throws {
        let file = try SyntheticModel(architecture: arch)
        let tokens = (0 ..< 45).map { ($0 * 7 + 3) % SyntheticModel.vocabulary }
        for backend in [BackendKind.naive, .simd].compactMap({ try? $0.makeBackend(threads: 2) }) {
            let model = try Model(path: file.path, backend: backend)
            let plain = try InferenceSession(model: model).evaluateAll(tokens)
            let hooked = try InferenceSession(model: model)
            hooked.hooks = ClosureHooks { _ in }
            #expect(Self.maxDifference(plain, try hooked.evaluateAll(tokens)) < 1e-5, "\(arch) on \(backend)")
        }
    }

    @Test("Phi-3's fused attn_qkv and gate+up equal the same rows as separate tensors")
    func fusedEqualsSeparate() throws {
        let fused = try SyntheticModel(architecture: "phi3", fused: true)
        let separate = try SyntheticModel(architecture: "phi3", fused: false)
        for backend in [BackendKind.naive, .simd, .simdQ8].compactMap({ try? $0.makeBackend(threads: 2) }) {
            #expect(Self.maxDifference(try Self.logits(fused, backend: backend),
                                       try Self.logits(separate, backend: backend)) == 0)
        }
    }

    @Test("rope_freqs of all 2 turn like linear RoPE scaling by 2")
    func ropeFrequencyFactors() throws {
        let factors = try SyntheticModel { w in
            w.addTensor(name: "rope_freqs.weight", shape: [SyntheticModel.headDim / 2],
                        floats: Array(repeating: 2, count: SyntheticModel.headDim / 2))
        }
        let linear = try SyntheticModel { w in
            w.set("llama.rope.scaling.type", .string("linear"))
            w.set("llama.rope.scaling.factor", .float32(2))
        }
        let plain = try SyntheticModel()
        #expect(Self.maxDifference(try Self.logits(factors), try Self.logits(linear)) < 1e-5)
        #expect(Self.maxDifference(try Self.logits(factors), try Self.logits(plain)) > 1e-3)
    }

    @Test("rope.scaling.attn_factor scales the rotated queries and keys")
    func ropeMagnitude() throws {
        func rotatedQuery(_ file: SyntheticModel) throws -> [Float] {
            let session = try InferenceSession(model: try Model(path: file.path, backend: NaiveBackend()))
            var q: [Float] = []
            session.hooks = ClosureHooks { if $0.point == .rotQ(0) { q = $0.copy() } }
            _ = try session.evaluateAll([1, 2, 3])
            return q
        }
        let plain = try rotatedQuery(try SyntheticModel())
        let scaled = try rotatedQuery(try SyntheticModel { $0.set("llama.rope.scaling.attn_factor", .float32(1.5)) })
        #expect(Self.maxDifference(plain.map { $0 * 1.5 }, scaled) < 1e-5)
    }

    @Test("Phi-3's short RoPE factors up to the original context, long ones beyond")
    func longRopeFactors() throws {
        let pairs = SyntheticModel.headDim / 2
        let file = try SyntheticModel(architecture: "phi3") { w in
            w.set("phi3.rope.scaling.original_context_length", .uint32(16))
            w.addTensor(name: "rope_factors_short.weight", shape: [pairs], floats: Array(repeating: 1.5, count: pairs))
            w.addTensor(name: "rope_factors_long.weight", shape: [pairs], floats: Array(repeating: 3, count: pairs))
        }
        let model = try Model(path: file.path, backend: NaiveBackend())
        #expect(model.rope(block: 0, contextLength: 16).frequencyFactors == Array(repeating: 1.5, count: pairs))
        #expect(model.rope(block: 1, contextLength: 17).frequencyFactors == Array(repeating: 3, count: pairs))
    }

    @Test("sliding_window_pattern as one bool per layer")
    func windowPatternArray() throws {
        let file = try SyntheticModel(architecture: "gemma3") { w in
            w.set("gemma3.attention.sliding_window", .uint32(4))
            w.set("gemma3.attention.sliding_window_pattern", .array(elementType: .bool, [.bool(false), .bool(true)]))
        }
        let a = try Model(path: file.path, backend: NaiveBackend()).configuration.architecture
        #expect(a.slidingWindow?.isLocal == [false, true])
        #expect(a.description.contains("sliding window 4 on 1 of 2 layers"))
    }

    @Test("an unknown rope.scaling.type is refused naming the key")
    func unknownScalingRefused() throws {
        let file = try SyntheticModel { $0.set("llama.rope.scaling.type", .string("dynamic")) }
        do {
            _ = try Model(path: file.path, backend: NaiveBackend())
            Issue.record("loaded")
        } catch {
            #expect(error.description.contains("llama.rope.scaling.type"))
        }
    }

    @Test("YaRN: slow pairs interpolated, fast pairs unscaled, a ramp between; naive = simd")
    func yarn() throws {
        let file = try SyntheticModel { w in
            w.set("llama.rope.scaling.type", .string("yarn"))
            w.set("llama.rope.scaling.factor", .float32(4))
            w.set("llama.rope.freq_base", .float32(100))
            w.set("llama.rope.dimension_count", .uint32(4))
            w.set("llama.rope.scaling.original_context_length", .uint32(16))
        }
        let model = try Model(path: file.path, backend: NaiveBackend())
        let rope = model.configuration.rope
        // 4 · ln(16 / (32·2π)) / (2 ln 100) < 0 → 0;  4 · ln(16 / 2π) / (2 ln 100) ≈ 0.41 → 1.
        #expect(rope.yarnMix == 1 && rope.yarnLow == 0 && rope.yarnHigh == 1 && rope.freqScale == 0.25)
        // Pair 0 ramps to the unscaled angle, pair 1 (≥ high) is interpolated.
        #expect(abs(rope.angle(pair: 0, position: 10) - 10) < 1e-9)
        #expect(abs(rope.angle(pair: 1, position: 10) - 0.25 * 10 * 0.1) < 1e-9)
        #expect(abs(rope.rotationScale - (1 + 0.1 * logf(4))) < 1e-6)
        if let simd = try? BackendKind.simd.makeBackend(threads: 2) {
            #expect(Self.maxDifference(try Self.logits(file), try Self.logits(file, backend: simd)) < 1e-4)
        }
    }

    @Test("Gemma's embeddings are scaled by √d before the first block")
    func embeddingScale() throws {
        let file = try SyntheticModel(architecture: "gemma3")
        let model = try Model(path: file.path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var embedded: [Float] = []
        session.hooks = ClosureHooks { if $0.point == .embed { embedded = $0.copy() } }
        _ = try session.evaluate([3])
        var row = [Float](repeating: 0, count: SyntheticModel.d)
        row.withUnsafeMutableBufferPointer { NaiveBackend().embedding(model.weights.tokenEmbedding, row: 3, into: $0) }
        #expect(Self.maxDifference(embedded, row.map { $0 * 4 }) < 1e-6)
    }

    @Test("q/k norms leave each head with RMS 1 before γ")
    func queryKeyNorms() throws {
        let model = try Model(path: SyntheticModel(architecture: "qwen3").path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var normalized: [Float] = []
        session.hooks = ClosureHooks { if $0.point == .qNormNormalized(1) { normalized = $0.copy() } }
        _ = try session.evaluateAll([1, 2])
        let dHead = SyntheticModel.headDim
        #expect(normalized.count == 2 * SyntheticModel.heads * dHead)
        for head in 0 ..< normalized.count / dHead {
            let ms = normalized[head * dHead ..< (head + 1) * dHead].map { $0 * $0 }.reduce(0, +) / Float(dHead)
            #expect(abs(ms - 1) < 1e-3)
        }
    }

    /// A Gemma 3 synthetic model with the sliding window `window` on block 0 (block 1 global).
    static func gemma(window: Int) throws -> SyntheticModel {
        try SyntheticModel(architecture: "gemma3") { w in
            w.set("gemma3.attention.sliding_window", .uint32(UInt32(window)))
            w.set("gemma3.attention.sliding_window_pattern", .uint32(2))
        }
    }

    @Test("sliding window: read from the file, the same at every batch size (the cache ring), a window wider than the text changes nothing")
    func slidingWindow() throws {
        let windowed = try Self.gemma(window: 3)
        let a = try Model(path: windowed.path, backend: NaiveBackend()).configuration.architecture
        #expect(a.slidingWindow?.isLocal == [true, false] && a.window(block: 0) == 3 && a.window(block: 1) == nil)
        let whole = try Self.logits(windowed)
        for backend in [BackendKind.naive, .simd].compactMap({ try? $0.makeBackend(threads: 2) }) {
            for batch in [1, 2, 5] {
                #expect(Self.maxDifference(whole, try Self.logits(windowed, backend: backend, batch: batch)) < 1e-4)
            }
        }
        let wide = try Self.logits(try Self.gemma(window: 64))
        let none = try Self.logits(try SyntheticModel(architecture: "gemma3"))
        #expect(Self.maxDifference(wide, none) == 0)
        #expect(Self.maxDifference(whole, none) > 1e-3)
    }

    @Test("a local layer's cache keeps only the window (plus one batch)")
    func windowedCache() throws {
        let model = try Model(path: try Self.gemma(window: 3).path, backend: NaiveBackend())
        let session = try InferenceSession(model: model, batchSize: 4)
        #expect(session.cache.slots == [6, 64])
        _ = try session.evaluate(Self.tokens)
        #expect(session.cache.keptPositions(block: 0) == Self.tokens.count - 6 ..< Self.tokens.count)
        #expect(session.cache.keys(block: 0).count == 6 * session.cache.width)
    }

    @Test("the pattern of a local layer is zero outside the window")
    func windowPattern() throws {
        let model = try Model(path: try Self.gemma(window: 3).path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var pattern: [Float] = []
        session.hooks = ClosureHooks { if $0.point == .pattern(0) { pattern = $0.copy() } }
        _ = try session.evaluateAll(Array(Self.tokens.prefix(6)))
        // Head 0, query 5 sees keys 3, 4, 5.
        let row = pattern[5 * 6 ..< 6 * 6]
        #expect(row.prefix(3).allSatisfy { $0 == 0 } && abs(row.suffix(3).reduce(0, +) - 1) < 1e-5)
    }

    @Test("Qwen 2's biases are added to q, k and v")
    func biases() throws {
        let model = try Model(path: SyntheticModel(architecture: "qwen2").path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var v: [Float] = []
        session.hooks = ClosureHooks { if $0.point == .v(0) { v = $0.copy() } }
        _ = try session.evaluate([3])
        // v = normalized x · W_Vᵀ + b_V: recompute with the naive kernel.
        var normalized: [Float] = []
        session.reset()
        session.hooks = ClosureHooks { if $0.point == .ln1Normalized(0) { normalized = $0.copy() } }
        _ = try session.evaluate([3])
        let w = model.weights.blocks[0]
        let x = zip(normalized, w.attentionNorm).map { $0 * $1 }
        var expected = [Float](repeating: 0, count: w.value.rows)
        x.withUnsafeBufferPointer { xs in
            expected.withUnsafeMutableBufferPointer { NaiveBackend().matVec(w.value, xs, into: $0) }
        }
        let bias = w.queryKeyValueBias![2]!
        #expect(Self.maxDifference(v, zip(expected, bias).map { $0 + $1 }) < 1e-5)
    }

    @Test("every backend gives the naive logits on every family", arguments: ["qwen2", "qwen3", "gemma3", "phi3"])
    func backends(arch: String) throws {
        let file = try SyntheticModel(architecture: arch)
        let naive = try Self.logits(file)
        for kind in [BackendKind.simd, .simdQ8, .blas, .auto] {
            guard let backend = try? kind.makeBackend(threads: 2) else { continue }
            #expect(Self.maxDifference(naive, try Self.logits(file, backend: backend, batch: 5)) < 0.05, "\(kind)")
        }
    }
}
