import Foundation
import Kernels
import Testing
import Transformer

/// The server's step: several sessions' runs (a sampled token, a chunk of a prompt) in one pass
/// give each session the logits and cache it gets alone, bit for bit.
struct BatchedDecoderTests {
    /// The largest |a − b| over every row (printed instead of the rows: they are 49 152 long).
    static func largestDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    /// Runs `runs[b]` after `prefixes[b]`, all sessions together, and each session alone.
    static func together(_ model: Model, prefixes: [[Int]], runs: [[Int]]) throws -> (together: [[Float]], alone: [[Float]]) {
        let decoder = try BatchedDecoder(model: model, maxBatch: runs.count, maxTokens: 64)
        var together: [InferenceSession] = [], alone: [InferenceSession] = []
        for prefix in prefixes {
            let a = try InferenceSession(model: model), b = try InferenceSession(model: model)
            if !prefix.isEmpty { _ = try a.evaluate(prefix); _ = try b.evaluate(prefix) }
            together.append(a)
            alone.append(b)
        }
        // (Copied now: the sessions' next evaluation overwrites them.)
        let logits = try #require(decoder.evaluate(together, runs: runs.map { $0[...] })).map { Array($0) }
        let expected = try zip(alone, runs).map { session, run in Array(try session.evaluate(run)) }
        // The caches too: one more token each gives the same logits.
        let next = decoder.decode(together, tokens: runs.map { _ in 7 })!.map { Array($0) }
        let nextAlone = try alone.map { Array(try $0.evaluate([7])) }
        #expect(next == nextAlone, "the token after each run: largest difference \(Self.largestDifference(next, nextAlone))")
        return (logits, expected)
    }

    @Test("prompt chunks and single tokens of several sessions in one pass equal each session alone (SmolLM2, auto)")
    func runsEqualAlone() throws {
        let model = try Model(path: try TestData.smolLM2(), backend: AutoBackend(pool: ThreadPool(threads: 2)))
        let prompt = (0 ..< 40).map { ($0 * 7919 + 13) % 49152 }
        // A long chunk (the GEMM's range), a short one (the dots'), single tokens after a prefix.
        let (together, alone) = try Self.together(model, prefixes: [[], Array(prompt[..<5]), Array(prompt[..<30]), []],
                                                  runs: [Array(prompt[..<23]), Array(prompt[5 ..< 9]), [prompt[30]], [prompt[0]]])
        for b in together.indices {
            #expect(together[b] == alone[b], "session \(b): largest difference \(Self.largestDifference([together[b]], [alone[b]]))")
        }
    }

    @Test("runs of several tokens are refused where matMul is not per token; single tokens still batch")
    func floatBackendTakesSingleTokens() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let decoder = try BatchedDecoder(model: model, maxBatch: 3, maxTokens: 16)
        let sessions = try (0 ..< 3).map { _ in try InferenceSession(model: model) }
        #expect(!decoder.canEvaluate(sessions, counts: [1, 2, 1]))
        #expect(decoder.evaluate(sessions, runs: [[1], [2, 3], [4]]) == nil)
        #expect(sessions.allSatisfy { $0.position == 0 }, "nothing computed")
        let (together, alone) = try Self.together(model, prefixes: [[3, 1], [], [4]], runs: [[5], [9], [2]])
        #expect(together == alone, "largest difference \(Self.largestDifference(together, alone))")
    }

    @Test("a pass longer than maxTokens, or more sessions than maxBatch, is refused")
    func limits() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let decoder = try BatchedDecoder(model: model, maxBatch: 2, maxTokens: 4)
        let sessions = try (0 ..< 3).map { _ in try InferenceSession(model: model) }
        #expect(decoder.canDecode(Array(sessions.prefix(2))))
        #expect(!decoder.canDecode(sessions))
        #expect(decoder.maxTokens == 4)
    }
}
