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
