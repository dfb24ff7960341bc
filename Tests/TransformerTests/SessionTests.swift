import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The KV cache and batching: every way of feeding the same tokens gives the same logits.
struct SessionTests {
    static let tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9]

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test("token by token (matrix-vector) equals one batch (matrix-matrix) equals small chunks")
    func incrementalEqualsBatch() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let batch = try InferenceSession(model: model).evaluateAll(Self.tokens)
        let chunked = try InferenceSession(model: model, batchSize: 4).evaluateAll(Self.tokens)
        let single = try InferenceSession(model: model)
        var stepwise: [Float] = []
        for t in Self.tokens { stepwise += Array(try single.evaluate([t])) }
        #expect(Self.maxDifference(batch, chunked) < 1e-5)
        #expect(Self.maxDifference(batch, stepwise) < 1e-5)
        #expect(single.position == Self.tokens.count)
    }

    @Test("evaluate returns the last row of evaluateAll")
    func lastRow() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let all = try InferenceSession(model: model).evaluateAll(Self.tokens)
        let last = Array(try InferenceSession(model: model).evaluate(Self.tokens))
        #expect(Array(all.suffix(20)) == last)
    }

    @Test("rewinding the cache and replaying gives the same logits")
    func truncate() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        let first = Array(try session.evaluate(Self.tokens))
        session.truncate(to: 5)
        #expect(session.position == 5)
        let again = Array(try session.evaluate(Array(Self.tokens[5...])))
        #expect(first == again)
    }

    @Test("a full context, bad token ids and empty input are refused before computing")
    func refusals() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let session = try InferenceSession(model: model, contextLength: 8)
        #expect(throws: ModelError(file: model.file.path, kind: .contextFull(needed: 15, capacity: 8))) {
            try session.evaluate(Self.tokens)
        }
        #expect(session.position == 0)
        #expect(throws: ModelError(file: model.file.path, kind: .tokenOutOfRange(token: 20, vocabularySize: 20))) {
            try session.evaluate([1, 20])
        }
        #expect(throws: ModelError(file: model.file.path, kind: .noTokens)) { try session.evaluate([]) }
        #expect(throws: ModelError.self) { try InferenceSession(model: model, contextLength: 65) }
        try session.evaluate(Array(Self.tokens.prefix(8)))
        #expect(throws: ModelError(file: model.file.path, kind: .contextFull(needed: 9, capacity: 8))) {
            try session.evaluate([1])
        }
    }
}
