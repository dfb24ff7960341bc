import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "gguf": try ggufBenchmark(Array(arguments.dropFirst()))
case "tokenizer": try runTokenizerBenchmark(arguments: Array(arguments.dropFirst()))
default:
    print("usage: loupe-benchmarks gguf [MODEL] | tokenizer [MODEL] [MEGABYTES]")
}
