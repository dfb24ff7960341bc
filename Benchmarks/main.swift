// loupe-benchmarks <suite> [options]
//
// Each suite lives in its own file or folder and registers one entry here. Run in release:
//   swift run -c release loupe-benchmarks kernels [--threads N] [--quick] [--types f32,q4_1]
//   swift run -c release loupe-benchmarks gguf [MODEL]
//   swift run -c release loupe-benchmarks tokenizer [MODEL] [MEGABYTES]
//   swift run -c release loupe-benchmarks hooks [MODEL] [--tokens N] [--rounds R]
//   swift run -c release loupe-benchmarks grammar [MODEL] [--tokens N] [--rounds R]
//   swift run -c release loupe-benchmarks serve [--port 8080] [--clients 16] [--tokens 64] [--key KEY]

let suites: [String: (ArraySlice<String>) throws -> Void] = [
    "kernels": KernelBenchmark.run,
    "gguf": { try ggufBenchmark(Array($0)) },
    "tokenizer": { try runTokenizerBenchmark(arguments: Array($0)) },
    "hooks": { try hooksBenchmark(Array($0)) },
    "grammar": { try grammarBenchmark(Array($0)) },
    "serve": { try serveBenchmark(Array($0)) },
]

import Foundation

let arguments = CommandLine.arguments.dropFirst()
if let name = arguments.first, let suite = suites[name] {
    do {
        try suite(arguments.dropFirst())
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
} else {
    print("usage: loupe-benchmarks <suite> [options]   suites: \(suites.keys.sorted().joined(separator: ", "))")
    if let name = arguments.first, name != "--help", name != "-h" { exit(1) }
}
