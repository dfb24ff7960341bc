import Foundation
import GGUF
import Synchronization
import Testing
@testable import Kernels

@Suite("SIMD backend matches the naive one")
struct SIMDBackendTests {
    static let backend = SIMDBackend(threads: 2)

    @Test("matVec, matMul and embedding", arguments: GGMLType.computable)
    func products(type: GGMLType) {
        for (name, error) in productErrors(Self.backend, type: type) {
            #expect(error <= tolerance(for: type), "\(name): relative error \(error)")
        }
    }

    /// simd-q8 rounds x to 8 bits, so it cannot match to 1e-4; it must stay within the error of
    /// that rounding (≈ 1/254 of each block's largest |x|, llama.cpp's own), and be exact on
    /// float weights, which it leaves to the float path.
    @Test("simd-q8 stays within the error of 8-bit activations", arguments: GGMLType.computable)
    func int8Activations(type: GGMLType) {
        let backend = SIMDBackend(threads: 2, activations: .int8)
        let limit: Float = type.blockSize == 1 ? tolerance(for: type) : 1e-2
        for (name, error) in productErrors(backend, type: type) {
            #expect(error <= limit, "simd-q8 \(name): relative error \(error)")
        }
    }

    /// The x86 instructions named in `IntegerProducts.swift` compute what their definitions in
    /// plain Swift say, saturation and signs included.
    @Test("integer instructions agree with their definitions")
    func integerInstructions() {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            var a = SIMD32<UInt8>(), b = SIMD32<Int8>(), c = SIMD32<Int8>()
            for i in 0..<32 {
                a[i] = UInt8(truncatingIfNeeded: random.next())
                b[i] = Int8(truncatingIfNeeded: random.next())
                c[i] = Int8(truncatingIfNeeded: random.next() % 3) - 1   // −1, 0, 1: all three signs
            }
            #expect(multiplyAddPairs(a, b) == referenceMultiplyAddPairs(a, b))
            #expect(copySign(of: b, to: c) == referenceCopySign(of: b, to: c))
            let indices = a & 15
            #expect(shuffleBytes(a, indices) == referenceShuffleBytes(a, indices))
            let wide = unsafeBitCast(b, to: SIMD16<Int16>.self), other = unsafeBitCast(a, to: SIMD16<Int16>.self)
            #expect(multiplyAddPairs(wide, other) == referenceMultiplyAddPairs(wide, other))
        }
    }

    /// The polynomial e^x of SiLU against Foundation's `exp`, over the whole range it takes
    /// (|x| ≤ 126·ln 2) and beyond it, where it must decline; then SiLU itself, huge inputs
    /// included (they take the scalar path): within 4 ulp, 2 from e^x and the rest from the division.
    @Test func vectorExpIsWithinTwoUlp() {
        var worst: Float = 0
        for i in stride(from: -87.3, through: 87.3, by: 0.0013) {
            let x = SIMD16<Float>((0..<16).map { Float(i) + Float($0) * 0.00007 })
            guard let e = vectorExp(x) else { Issue.record("vectorExp declined x = \(x[0])"); return }
            for lane in 0..<16 {
                let expected = Foundation.exp(x[lane])
                worst = max(worst, abs(e[lane] - expected) / expected.ulp)
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(vectorExp(SIMD16(repeating: 90)) == nil)
        #expect(vectorExp(SIMD16(repeating: -90)) == nil)
        var x: [Float] = (0..<40).map { Float($0 - 20) * 0.7 } + [-1e4, 1e4, -100, 100, 0, -0.0, 88.5, -88.5]
        let expected = x.map { $0 / (1 + Foundation.exp(-$0)) }
        x.withUnsafeMutableBufferPointer { simdSiLU($0.baseAddress!, $0.count) }
        for (got, want) in zip(x, expected) {
            #expect(abs(got - want) <= 4 * max(want.magnitude.ulp, Float.leastNormalMagnitude), "silu: \(got) vs \(want)")
        }
    }

    /// GELU-tanh as x·σ(2u) against the same function in Double, over the range where
    /// activations live and beyond it (|x| > 10 takes the scalar formula). The reference is the
    /// logistic form, x / (1 + e^(−2u)): `½·x·(1 + tanh u)` loses all its digits to cancellation
    /// for x below −10 even in Double. Within (1 + |2u|)·4e-7 relative (a few ulp of error in 2u
    /// become |2u| times that in e^(−2u)), or 1e-36 absolutely where the float formula gives 0.
    @Test func vectorGELUMatchesTheTanhFormula() {
        var x: [Float] = stride(from: -12.0, through: 12.0, by: 0.0037).map { Float($0) }
            + [-1e4, 1e4, -30, 30, 0, -0.0, 1e-20, -1e-20]
        let expected = x.map { v -> (value: Double, twoU: Double) in
            let d = Double(v), u = (2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)
            return (d / (1 + Foundation.exp(-2 * u)), 2 * u)
        }
        x.withUnsafeMutableBufferPointer { simdGELU($0.baseAddress!, $0.count) }
        for (i, (got, want)) in zip(x, expected).enumerated() {
            let error = abs(Double(got) - want.value)
            #expect(error <= (1 + abs(want.twoU)) * 4e-7 * abs(want.value) || error <= 1e-36,
                    "gelu(\(i)): \(got) vs \(want.value)")
        }
    }

    @Test("element-wise operations, RoPE and softmax")
    func elementwise() {
        for (name, error) in elementwiseErrors(Self.backend) {
            #expect(error <= 1e-5, "\(name): relative error \(error)")
        }
    }

    @Test("one thread and many threads give the same products")
    func threadCounts() {
        let w = TestMatrix(type: .q4_1, rows: 301, columns: 576, seed: 3)
        let x = randomFloats(576 * 7, seed: 4)
        let one = SIMDBackend(threads: 1), three = SIMDBackend(threads: 3)
        #expect(product(one, w.matrix, x, count: 1) == product(three, w.matrix, x, count: 1))
        #expect(product(one, w.matrix, x, count: 7) == product(three, w.matrix, x, count: 7))
    }
}

@Suite("Thread pool (SIMD backend's threads)")
struct SIMDThreadPoolTests {
    @Test("every chunk runs exactly once, loop after loop")
    func everyChunkOnce() {
        let pool = ThreadPool(threads: 3)
        for count in [1, 2, 7, 100, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0, count: count)
            pool.parallelFor(count) { i in hits[i] += 1 }
            #expect((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
            hits.deallocate()
        }
    }

    @Test("ranges cover the whole loop without overlap")
    func rangesCover() {
        let pool = ThreadPool(threads: 2)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 1001)
        hits.initialize(repeating: 0, count: 1001)
        pool.parallelRanges(1001, minimumChunk: 10) { r in for i in r { hits[i] += 1 } }
        #expect((0..<1001).allSatisfy { hits[$0] == 1 })
        hits.deallocate()
    }

    @Test("thousands of short loops, from two calling threads at once, all complete")
    func manyLoops() async {
        final class Counter: Sendable { let value = Atomic<Int>(0) }
        let pool = ThreadPool(threads: 3)
        let total = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<2000 {
                        pool.parallelFor(3) { _ in total.value.add(1, ordering: .relaxed) }
                    }
                }
            }
        }
        #expect(total.value.load(ordering: .relaxed) == 2 * 2000 * 3)
    }

    @Test("a loop started inside a chunk runs (on its caller) instead of deadlocking")
    func nestedLoops() {
        let pool = ThreadPool(threads: 2)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        hits.initialize(repeating: 0, count: 16)
        pool.parallelFor(4) { i in
            pool.parallelFor(4) { j in hits[4 * i + j] += 1 }
        }
        #expect((0..<16).allSatisfy { hits[$0] == 1 })
        hits.deallocate()
    }

    @Test("a pool is released with its threads")
    func released() {
        weak var weakPool: ThreadPool?
        do {
            let pool = ThreadPool(threads: 4)
            weakPool = pool
            pool.parallelFor(8) { _ in }
        }
        #expect(weakPool == nil)
    }
}
