#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Decoding
import Testing

/// Runs one sampler on logits given in id order.
private func run(_ sampler: any Sampler, _ logits: [Float]) -> Candidates {
    var c = logits.withUnsafeBufferPointer { Candidates(logits: $0) }
    sampler.apply(&c)
    return c
}

struct SamplerTests {
    @Test("MT19937: the 10000th draw from the default seed is 4123659995 (C++ standard)")
    func mersenneTwister() {
        var random = MersenneTwister(seed: 5489)
        for _ in 1 ..< 10000 { _ = random.next() }
        #expect(random.next() == 4_123_659_995)
    }

    @Test("uniform doubles lie in [0, 1) and average one half")
    func unitDoubles() {
        var random = MersenneTwister(seed: 7)
        var sum = 0.0
        for _ in 0 ..< 10000 {
            let u = random.nextUnitDouble()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        #expect(abs(sum / 10000 - 0.5) < 0.02)
    }

    @Test("top-k keeps the k highest logits, sorted; k ≤ 0 keeps all")
    func topK() {
        let c = run(TopK(3), [0.1, 5, -2, 3, 4, 1])
        #expect(c.tokens.map(\.id) == [1, 4, 3])
        #expect(c.sorted)
        #expect(run(TopK(0), [1, 2, 3]).tokens.count == 3)
        #expect(run(TopK(10), [1, 3, 2]).tokens.map(\.id) == [1, 2, 0])
    }

    @Test("top-p keeps the smallest prefix reaching p; p = 0 keeps one token; p = 1 keeps all")
    func topP() {
        // Probabilities 0.5, 0.25, 0.125, 0.125 (ids 2, 0, 1, 3).
        let logits: [Float] = [logf(2), logf(1), logf(4), logf(1)]
        #expect(run(TopP(0.5), logits).tokens.map(\.id) == [2])
        #expect(run(TopP(0.6), logits).tokens.map(\.id) == [2, 0])
        #expect(run(TopP(0.8), logits).tokens.map(\.id) == [2, 0, 1])
        #expect(run(TopP(0), logits).tokens.map(\.id) == [2])
        #expect(run(TopP(1), logits).tokens.count == 4)
        #expect(run(TopP(0.5, minKeep: 3), logits).tokens.count == 3)
    }

    @Test("min-p keeps tokens at least p times as likely as the best")
    func minP() {
        let logits: [Float] = [logf(1), logf(0.5), logf(0.09), logf(0.2)]
        #expect(run(MinP(0.1), logits).tokens.map(\.id) == [0, 1, 3])   // unsorted: order kept
        #expect(run(MinP(0.3), logits).tokens.map(\.id) == [0, 1])
        #expect(run(MinP(0), logits).tokens.count == 4)
        var sorted = logits.withUnsafeBufferPointer { Candidates(logits: $0) }
        sorted.sortDescending()
        MinP(0.1).apply(&sorted)
        #expect(sorted.tokens.map(\.id) == [0, 1, 3])
    }

    @Test("temperature divides logits; at 0 only the best survives")
    func temperature() {
        #expect(run(Temperature(2), [2, -4]).tokens.map(\.logit) == [1, -2])
        let greedy = run(Temperature(0), [1, 3, 2])
        #expect(greedy.tokens.map(\.logit) == [-.infinity, 3, -.infinity])
        #expect(run(Temperature(-1), [1, 3, 2]).tokens[1].logit == 3)
    }

    @Test("repetition penalty divides positive and multiplies negative logits of recent tokens")
    func repetitionPenalty() {
        let penalty = RepetitionPenalty(lastN: 2, repeat: 2)
        penalty.accept(0)
        penalty.accept(1)
        #expect(run(penalty, [4, -4, 4]).tokens.map(\.logit) == [2, -8, 4])
        penalty.accept(2)   // token 0 leaves the window of 2
        #expect(run(penalty, [4, -4, 4]).tokens.map(\.logit) == [4, -8, 2])
        let frequency = RepetitionPenalty(lastN: 64, repeat: 1, frequency: 0.5, presence: 1)
        frequency.accept(1)
        frequency.accept(1)
        #expect(run(frequency, [0, 0]).tokens.map(\.logit) == [0, -2])
    }

    /// The fast argmax of plain greedy chains against the one-by-one scan it replaces, on
    /// lengths around its 16-lane steps, ties (the first wins), ±0, infinities and NaNs.
    @Test("firstLargest is the first index a scan for a larger value finds")
    func firstLargestIsTheScan() {
        func scan(_ x: [Float]) -> Int {
            var best = 0
            for i in 1 ..< x.count where x[i] > x[best] { best = i }
            return best
        }
        var state: UInt64 = 7
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 3, 3, -3]
        for n in [1, 2, 15, 16, 17, 31, 32, 33, 100, 49_152] {
            for round in 0 ..< 40 {
                var x = (0 ..< n).map { _ in Float(Int(next() % 64) - 32) / 4 }   // many ties
                for _ in 0 ..< round % 5 { x[Int(next() % UInt64(n))] = specials[Int(next() % UInt64(specials.count))] }
                if round == 39 { x[0] = .nan }
                #expect(x.withUnsafeBufferPointer { firstLargest($0) } == scan(x), "n \(n) round \(round)")
            }
        }
    }

    @Test("greedy selects the first highest logit")
    func greedy() {
        #expect(run(Greedy(), [1, 5, 5, 2]).selectedID == 1)
    }

    @Test("distribution: same seed, same choices; frequencies follow the probabilities")
    func distribution() {
        let logits: [Float] = [logf(0.6), logf(0.3), logf(0.1)]
        func draws(_ seed: UInt32) -> [Int] {
            let d = Distribution(seed: seed)
            return (0 ..< 3000).map { _ in run(d, logits).selectedID! }
        }
        let a = draws(42)
        #expect(a == draws(42))
        #expect(a != draws(43))
        let share = [0, 1, 2].map { id in Double(a.filter { $0 == id }.count) / 3000 }
        #expect(abs(share[0] - 0.6) < 0.03 && abs(share[1] - 0.3) < 0.03 && abs(share[2] - 0.1) < 0.02)
    }

    @Test("the default chain is llama.cpp's order; temperature 0 is penalties then greedy")
    func defaultChain() {
        let chain = SamplingParameters(seed: 1).makeChain()
        #expect(chain.samplers.map { type(of: $0) == RepetitionPenalty.self } == [true, false, false, false, false, false])
        #expect(chain.description.contains("top-k 40 → top-p 0.95 → min-p 0.05 → temperature 0.8 → distribution (seed 1)"))
        let greedy = SamplingParameters(temperature: 0).makeChain()
        let logits: [Float] = [0.5, 2, 1]
        #expect(logits.withUnsafeBufferPointer { greedy.sample($0) } == 1)
    }

    @Test("the chain shows the distribution after each stage")
    func observedStages() {
        let chain = SamplerChain([TopK(2), Greedy()])
        var stages: [(String, Int)] = []
        let logits: [Float] = [0, 3, 1, 2]
        let id = logits.withUnsafeBufferPointer { chain.sample($0) { stages.append(($0, $1.tokens.count)) } }
        #expect(id == 1)
        #expect(stages.map(\.0) == ["logits", "top-k 2", "greedy"])
        #expect(stages.map(\.1) == [4, 2, 2])
    }

    @Test("NaN temperature and a non-positive repeat penalty are refused")
    func validation() {
        #expect(SamplingParameters(temperature: .nan).validate() != nil)
        #expect(SamplingParameters(repeatPenalty: 0).validate() != nil)
        #expect(SamplingParameters(temperature: -1).validate() == nil)
        #expect(SamplingParameters(temperature: -1).isGreedy)
    }
}
