/// The options every suite understands, parsed by hand to keep the benchmarks free of
/// dependencies: `--threads N` (default: all cores) and `--quick` (fewer shapes).
struct BenchmarkOptions {
    var threads: Int
    var quick = false

    init(_ arguments: ArraySlice<String>, defaultThreads: Int) {
        threads = defaultThreads
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--threads":
                if let value = rest.popFirst().flatMap(Int.init), value >= 1 { threads = value }
                else { fatalError("--threads needs a positive number") }
            case "--quick": quick = true
            default: fatalError("unknown option \(argument); options: --threads N, --quick")
            }
        }
    }
}
