import Loupe

/// The options every suite understands, parsed by hand to keep the benchmarks free of
/// dependencies: `--threads N` (default: all cores), `--quick` (fewer cases) and
/// `--types f32,q4_1` (only these weight types).
struct BenchmarkOptions {
    var threads: Int
    var quick = false
    var types: [String]? = nil

    init(_ arguments: ArraySlice<String>, defaultThreads: Int) throws(BenchmarkUsageError) {
        threads = defaultThreads
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--threads":
                if let value = rest.popFirst().flatMap(Int.init), value >= 1 { threads = value }
                else { throw BenchmarkUsageError("--threads needs a positive number") }
            case "--quick": quick = true
            case "--types":
                guard let list = rest.popFirst() else { throw BenchmarkUsageError("--types needs a list such as f32,q4_1") }
                types = list.split(separator: ",").map(String.init)
            default: throw BenchmarkUsageError("unknown option \(argument); options: --threads N, --quick, --types LIST")
            }
        }
    }
}

/// A command line the benchmarks cannot run: printed, with exit status 1.
struct BenchmarkUsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The options of the suites that time generation on a model (`hooks`, `grammar`):
/// `[MODEL] [--tokens N] [--rounds R] [--threads T]`.
struct GenerationBenchmarkOptions {
    var model = "Weights/SmolLM2-135M-Instruct.Q4_1.gguf"
    var tokens = 64
    var rounds = 5
    var threads = ThreadPool.coreCount

    init(_ arguments: [String]) throws(BenchmarkUsageError) {
        var rest = arguments[...]
        func count(_ option: String) throws(BenchmarkUsageError) -> Int {
            guard let value = rest.popFirst().flatMap(Int.init), value >= 1 else {
                throw BenchmarkUsageError("\(option) needs a positive number")
            }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--tokens": tokens = try count(argument)
            case "--rounds": rounds = try count(argument)
            case "--threads": threads = try count(argument)
            case _ where argument.hasPrefix("--"):
                throw BenchmarkUsageError("unknown option \(argument); options: MODEL, --tokens N, --rounds R, --threads T")
            default: model = argument
            }
        }
    }
}
