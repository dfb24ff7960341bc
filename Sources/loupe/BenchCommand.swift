import ArgumentParser
import Foundation
import Loupe

/// `loupe bench`: prompt-processing and generation speed per backend and thread count, measured
/// the way llama.cpp's `llama-bench` does, so the two tables can be put side by side.
///
/// - `ppN`: N random token ids in one forward pass on an empty KV cache.
/// - `tgN`: N forward passes of one token each, starting on an empty cache (position 0).
/// - `tgN×B` (`--batch B`): B sessions each generating N tokens, their tokens decoded together
///   one step at a time (the server's continuous batching, `BatchedDecoder`); t/s counts all
///   B·N tokens, as llama.cpp's `llama-batched-bench` does.
///
/// Each test runs once to warm up (pages of the mapped file, caches, the thread pool), then
/// `-r` times; the table shows mean ± standard deviation of the tokens per second.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing (pp) and generation (tg) speed, like llama-bench.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .short, help: "Prompt tokens of the pp test (0: skip it).")
    var p: Int = 128
    @Option(name: .short, help: "Generated tokens of the tg test (0: skip it).")
    var n: Int = 64
    @Option(help: "Sessions decoded together in the tg test (the server's slots), comma-separated.")
    var batch: String = "1"
    @Option(name: .short, help: "Thread counts, comma-separated.")
    var t: String = "\(ThreadPool.coreCount)"
    @Option(name: .short, help: "Repetitions of each test (after one warm-up run).")
    var r: Int = 3
    @Option(help: "Backends, comma-separated: auto, naive, simd, simd-q8, blas.")
    var backend: String = "auto"
    @Flag(help: "Print a JSON array instead of the table.")
    var json = false
    @Option(help: ArgumentHelp("Instead of pp and tg: place each backend's kernels against the machine's memory bandwidth and arithmetic peak, and write the picture to FILE.svg.", valueName: "FILE.svg"))
    var roofline: String?

    /// One line of the result table.
    struct Result {
        let backend: String
        let threads: Int
        let test: String
        /// Tokens per second of each repetition.
        let samples: [Double]

        var mean: Double { samples.reduce(0, +) / Double(samples.count) }
        var standardDeviation: Double {
            guard samples.count > 1 else { return 0 }
            let m = mean
            return (samples.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(samples.count - 1)).squareRoot()
        }
    }

    func run() throws {
        try reportingErrors {
            let kinds = try backend.split(separator: ",").map { try BackendKind(name: String($0)) }
            let threadCounts = try t.split(separator: ",").map { item -> Int in
                guard let count = Int(item), count >= 1 else { throw CLIError("-t: '\(item)' is not a thread count ≥ 1") }
                return count
            }
            if let roofline { return try measureRoofline(kinds: kinds, threads: threadCounts.last!, svgPath: roofline) }
            guard p >= 0, n >= 0, p + n > 0 else { throw CLIError("-p and -n must be ≥ 0, and not both 0") }
            guard r >= 1 else { throw CLIError("-r must be at least 1") }
            let batches = try batch.split(separator: ",").map { item -> Int in
                guard let count = Int(item), (1 ... 64).contains(count) else { throw CLIError("--batch: '\(item)' is not a number of sessions from 1 to 64") }
                return count
            }
            let file = try modelOptions.open()
            let name = URL(fileURLWithPath: try modelOptions.resolvedPath()).lastPathComponent

            if !json { printHeader() }
            var results: [Result] = []
            for kind in kinds {
                // The naive backend is single-threaded: one line for it whatever -t says.
                for threads in kind == .naive ? [1] : threadCounts {
                    let model = try Model(file: file, backend: try kind.makeBackend(threads: threads))
                    for (test, measure) in try tests(model, batches: batches) {
                        _ = try measure()   // warm-up
                        let samples = try (0 ..< r).map { _ in try measure() }
                        let result = Result(backend: kind.rawValue, threads: threads, test: test, samples: samples)
                        results.append(result)
                        if !json { printRow(result, model: name) }
                    }
                }
            }
            if json { try printJSON(results) }
        }
    }

    /// `--roofline`: the kernels of every backend asked for (all four unless `--backend` names
    /// some) on the model's block matrices, one token and a prompt of `-p` tokens, placed against
    /// the machine's roofs; the table on standard output, the picture in `svgPath`.
    private func measureRoofline(kinds: [BackendKind], threads: Int, svgPath: String) throws {
        let file = try modelOptions.open()
        let asked = kinds == [.auto] ? [.naive, .simd, .simdQ8, .blas] : kinds.filter { $0 != .auto }
        guard !asked.isEmpty else { throw CLIError("--roofline places naive, simd, simd-q8 and blas; auto is one of them at a time") }
        let result = try Roofline.measure(file: file, backends: asked, threads: threads, promptTokens: max(p, 2))
        print(result.table)
        try writeFile(svgPath, try rooflineSVG(result))
        printError("wrote \(svgPath): \(result.points.count) kernels against the machine's two roofs")
    }

    /// The pp and tg tests asked for, each a function returning tokens per second of one run.
    private func tests(_ model: Model, batches: [Int]) throws -> [(String, () throws -> Double)] {
        let vocabulary = model.configuration.vocabularySize
        var list: [(String, () throws -> Double)] = []
        if p > 0 {
            let session = try? InferenceSession(model: model, contextLength: p, batchSize: p)
            list.append(("pp\(p)", {
                guard let session else { throw CLIError("-p \(p) is longer than the model's context") }
                var generator = SystemRandomNumberGenerator()
                let tokens = (0 ..< p).map { _ in Int.random(in: 0 ..< vocabulary, using: &generator) }
                session.reset()
                let start = DispatchTime.now().uptimeNanoseconds
                try session.evaluate(tokens)
                return Double(p) / seconds(since: start)
            }))
        }
        if n > 0, batches.contains(1) {
            let session = try? InferenceSession(model: model, contextLength: n, batchSize: 1)
            list.append(("tg\(n)", {
                guard let session else { throw CLIError("-n \(n) is longer than the model's context") }
                session.reset()
                // Random ids, as llama-bench (the sampler is not part of the measure).
                let tokens = (0 ..< n).map { _ in Int.random(in: 0 ..< vocabulary) }
                let start = DispatchTime.now().uptimeNanoseconds
                for token in tokens { try session.evaluate([token]) }
                return Double(n) / seconds(since: start)
            }))
        }
        for b in batches where n > 0 && b > 1 {
            guard n <= model.configuration.contextLength else { throw CLIError("-n \(n) is longer than the model's context") }
            let sessions = try (0 ..< b).map { _ in try InferenceSession(model: model, contextLength: n, batchSize: 1) }
            let decoder = try BatchedDecoder(model: model, maxBatch: b)
            guard decoder.canDecode(sessions) else {
                throw CLIError("--batch: this model's blocks are decoded one session at a time (no batched step)")
            }
            list.append(("tg\(n)×\(b)", {
                for session in sessions { session.reset() }
                let tokens = (0 ..< n * b).map { _ in Int.random(in: 0 ..< vocabulary) }
                let start = DispatchTime.now().uptimeNanoseconds
                for step in 0 ..< n {
                    guard decoder.decode(sessions, tokens: Array(tokens[step * b ..< (step + 1) * b])) != nil else {
                        throw CLIError("the batched step refused its sessions")
                    }
                }
                return Double(n * b) / seconds(since: start)
            }))
        }
        return list
    }

    private func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func printHeader() {
        printFlushed("| model | backend | threads | test | t/s |\n| --- | --- | ---: | ---: | ---: |\n")
    }

    private func printRow(_ result: Result, model: String) {
        let cell = String(format: "%.2f ± %.2f", result.mean, result.standardDeviation)
        printFlushed("| \(model) | \(result.backend) | \(result.threads) | \(result.test) | \(cell) |\n")
    }

    private func printJSON(_ results: [Result]) throws {
        let objects: [[String: Any]] = results.map {
            ["backend": $0.backend, "threads": $0.threads, "test": $0.test,
             "tokens_per_s": $0.mean, "stddev": $0.standardDeviation]
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
