// loupe-benchmarks <suite> [options]
//
// Each suite lives in its own folder and registers one entry here. Run in release:
//   swift run -c release loupe-benchmarks kernels [--threads N] [--quick]

let suites: [String: (ArraySlice<String>) -> Void] = [
    "kernels": KernelBenchmark.run,
]

let arguments = CommandLine.arguments.dropFirst()
if let name = arguments.first, let suite = suites[name] {
    suite(arguments.dropFirst())
} else {
    print("usage: loupe-benchmarks <suite> [options]   suites: \(suites.keys.sorted().joined(separator: ", "))")
}
