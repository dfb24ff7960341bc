import Foundation
import Loupe

// Hooks benchmark: does the hook machinery cost anything when it is off?
//
// Generation (one token per forward pass, the case where overhead shows most) is timed in
// three configurations, interleaved round by round so that machine noise hits all alike:
//   v1 "off":    session.hooks = nil — the fast path: one nil check per hook point (~600 per token)
//   v2 "no-op":  a ForwardHooks whose visit does nothing — pays for building each
//                HookedActivation and for RMSNorm's split (hookable) path
//   v3 "filter": ActivationHooks with an empty cache filter and no patches — a set lookup per point
// "off" vs a build without hooks cannot be measured in one binary; "off" vs "no-op" bounds it
// from above (the nil checks are a subset of what "no-op" does).
//
//   swift run -c release loupe-benchmarks hooks [MODEL] [--tokens N] [--rounds R] [--threads T]
//
// Reported: the median tok/s of each, and the median over rounds of each round's ratio to
// "off" (paired, so that a slow moment of the machine does not count against one variant).

/// A hook that looks at nothing.
private final class NoOpHooks: ForwardHooks {
    func visit(_ activation: HookedActivation) {}
}

func hooksBenchmark(_ arguments: [String]) throws {
    let options = try GenerationBenchmarkOptions(arguments)
    let (path, tokens, rounds, threads) = (options.model, options.tokens, options.rounds, options.threads)
    let file = try GGUFFile(path: path)
    let model = try Model(file: file, backend: try BackendKind.auto.makeBackend(threads: threads))
    let tokenizer = try Tokenizer(file: file)
    let prompt = try tokenizer.promptTokens("The capital of France is", parseSpecial: true)
    let session = try InferenceSession(model: model, contextLength: prompt.count + tokens + 1)
    let configurations: [(String, () throws -> (any ForwardHooks)?)] = [
        ("off", { nil }),
        ("no-op", { NoOpHooks() }),
        ("filter", { try ActivationHooks(cache: HookFilter([]), blocks: model.configuration.blockCount) }),
    ]
    var rates: [String: [Double]] = [:]
    var generated: [String: [Int]] = [:]
    for _ in 0 ..< rounds {
        for (name, make) in configurations {
            session.reset()
            session.hooks = try make()
            var logits = Array(try session.evaluate(prompt))
            var ids: [Int] = []
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0 ..< tokens {
                let next = logits.indices.max { logits[$0] < logits[$1] }!
                ids.append(next)
                logits = Array(try session.evaluate([next]))
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            rates[name, default: []].append(Double(tokens) / seconds)
            generated[name] = ids
        }
    }
    session.hooks = nil
    print("hooks: \(model.backend.name) backend, \(threads) threads, \(tokens) greedy tokens × \(rounds) rounds, interleaved")
    let off = rates["off"]!
    for (name, _) in configurations {
        let mine = rates[name]!
        let ratios = zip(mine, off).map { $0 / $1 }
        let same = generated[name] == generated["off"] ? "same tokens" : "DIFFERENT tokens"
        print(String(format: "  %-7@ median %7.1f tok/s   paired median %+.2f%% vs off   (%@)",
                     name as NSString, median(mine), (median(ratios) - 1) * 100, same as NSString))
    }
}

private func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s[s.count / 2]
}
