import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The one forward pass on a tiny random model of each family (llama3, qwen2, qwen3, gemma3,
/// phi3), in F32, Q8_0 and Q4_K, against llama.cpp and an exact float64 reference (see
/// Tests/Conformance/archs/README.md), on every backend.
@Suite struct ArchConformanceTests {
    struct File: CustomStringConvertible, Sendable {
        let arch: String
        let type: String
        var description: String { "\(arch)-\(type)" }
        var model: String { get throws { try TestData.archModel(arch: arch, type: type) } }
        func cases() throws -> [TestData.Case] { try TestData.archCases(arch: arch, type: type) }
    }

    static let files = TestData.archNames.flatMap { arch in TestData.archTypes.map { File(arch: arch, type: $0) } }

    /// Every backend that can be made here (BLAS may be missing).
    static var backends: [any Backend] {
        [BackendKind.naive, .simd, .simdQ8, .blas, .auto].compactMap { try? $0.makeBackend(threads: 2) }
    }

    /// Logits of every case with `backend`, [case][position · V]; chunks of 4 tokens, so that
    /// batches, single tokens, the cache between them and the sliding window's ring all run.
    static func logits(_ file: File, _ cases: [TestData.Case], backend: any Backend) throws -> [[Float]] {
        let model = try Model(path: file.model, backend: backend)
        return try cases.map { c in
            let session = try InferenceSession(model: model, batchSize: 4)
            return try session.evaluateAll(c.ids)
        }
    }

    /// max |a − exact| over every case, position and id.
    static func distance(_ logits: [[Float]], _ exact: [[Double]]) -> Double {
        zip(logits, exact).map { l, e in zip(l, e).map { abs(Double($0) - $1) }.max() ?? .infinity }.max()!
    }

    /// √(mean (a − exact)²) over every case, position and id: the distance between two models'
    /// outputs, where the maximum is a single draw of the rounding noise.
    static func rmsDistance(_ logits: [[Float]], _ exact: [[Double]]) -> Double {
        var sum = 0.0, count = 0
        for (l, e) in zip(logits, exact) {
            for (a, b) in zip(l, e) { sum += (Double(a) - b) * (Double(a) - b); count += 1 }
        }
        return (sum / Double(max(count, 1))).squareRoot()
    }

    /// Mean over every case and position of KL(exact ‖ logits) between the two next-token
    /// distributions (the measure the conformance README gives for llama.cpp). `vocabulary`: V.
    static func meanKL(_ logits: [[Float]], _ exact: [[Double]], vocabulary: Int) -> Double {
        func logSoftmax(_ row: [Double]) -> [Double] {
            let top = row.max()!
            let logSum = log(row.reduce(0) { $0 + exp($1 - top) }) + top
            return row.map { $0 - logSum }
        }
        var sum = 0.0, count = 0
        for (l, e) in zip(logits, exact) {
            for start in stride(from: 0, to: e.count, by: vocabulary) {
                let p = logSoftmax(Array(e[start ..< start + vocabulary]))
                let q = logSoftmax(l[start ..< start + vocabulary].map(Double.init))
                sum += zip(p, q).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                count += 1
            }
        }
        return sum / Double(max(count, 1))
    }

    /// The greedy continuation of each case (whole prompt in one call, then one token per call),
    /// compared with `exact_greedy` up to the first step whose exact margin is below `tolerance`.
    /// Returns the steps compared and the first mismatch, if any.
    static func greedyMismatch(_ model: Model, _ cases: [TestData.Case], tolerance: Double) throws -> String? {
        for (n, c) in cases.enumerated() {
            let session = try InferenceSession(model: model)
            var logits = Array(try session.evaluate(c.ids))
            for (step, expected) in c.exactGreedy.enumerated() {
                guard step < c.exactMargins.count, c.exactMargins[step] >= tolerance else { break }
                let token = logits.indices.max { logits[$0] < logits[$1] }!
                if token != expected { return "case \(n) step \(step): \(token) instead of \(expected)" }
                logits = Array(try session.evaluate([token]))
            }
        }
        return nil
    }

    @Test("naive within 0.01 of exact on F32 and 0.05 on every file; every backend no further from exact than llama.cpp; greedy follows exact",
          arguments: files)
    func conformance(file: File) throws {
        let cases = try file.cases()
        let exact = cases.map { $0.exactLogits.flatMap { $0 } }
        let llama = cases.map { $0.llamaLogits.flatMap { $0 }.map { Float($0) } }
        let V = cases[0].exactLogits[0].count
        let llamaWorst = Self.distance(llama, exact), llamaRMS = Self.rmsDistance(llama, exact)
        let llamaKL = Self.meanKL(llama, exact, vocabulary: V)
        var naiveWorst = 0.0
        for backend in Self.backends {
            let logits = try Self.logits(file, cases, backend: backend)
            #expect(zip(logits, exact).allSatisfy { $0.count == $1.count })
            let worst = Self.distance(logits, exact), rms = Self.rmsDistance(logits, exact)
            let kl = Self.meanKL(logits, exact, vocabulary: V)
            print("\(file): \(backend.name) vs exact: max |Δ| \(worst), RMS \(rms), mean KL \(kl) (llama.cpp: \(llamaWorst), \(llamaRMS), \(llamaKL))")
            if backend.name == "naive" {
                naiveWorst = worst
                #expect(worst < (file.type == "f32" ? 0.01 : 0.05), "\(file) naive")
            } else {
                // No further than llama.cpp: the RMS distance over every logit of every case, the
                // mean KL divergence of the next-token distributions and the largest difference,
                // each at most llama.cpp's (or, for the largest, naive's plus float rounding where
                // llama.cpp is closer than that: F32 files).
                #expect(rms <= llamaRMS, "\(file) on \(backend.name): RMS")
                #expect(kl <= llamaKL, "\(file) on \(backend.name): mean KL")
                #expect(worst <= max(llamaWorst, naiveWorst + 0.002), "\(file) on \(backend.name): max")
            }
            let model = try Model(path: file.model, backend: backend)
            let tolerance = max(0.05, 2 * worst)
            let mismatch = try Self.greedyMismatch(model, cases, tolerance: tolerance)
            #expect(mismatch == nil, "\(file) greedy on \(backend.name): \(mismatch ?? "")")
        }
    }
}
