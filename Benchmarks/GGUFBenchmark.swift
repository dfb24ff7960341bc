import Foundation
import Loupe

/// `loupe-benchmarks gguf [MODEL]`: how long opening a model and reading all its metadata takes.
///
/// v1 (the only one): mmap + parse every metadata value and tensor info. The goal is under
/// 50 ms for SmolLM2, so that every `loupe` command starts at once.
func ggufBenchmark(_ arguments: [String]) throws {
    let path = arguments.first ?? "Weights/SmolLM2-135M-Instruct.Q4_1.gguf"
    let repetitions = 20
    var times: [Double] = []
    var keys = 0, tensors = 0, tokens = 0
    for _ in 0 ..< repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        let file = try GGUFFile(path: path)
        // Touch what a model load reads: every key, the vocabulary, every tensor's size.
        keys = file.metadataKeys.count
        tokens = (try? file.strings("tokenizer.ggml.tokens").count) ?? 0
        tensors = file.tensors.reduce(0) { $0 + ($1.byteCount > 0 ? 1 : 0) }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    times.sort()
    let median = times[times.count / 2]
    print("gguf open + all metadata: \(path)")
    print("  \(keys) keys, \(tokens) tokens, \(tensors) tensors")
    print(String(format: "  median %.2f ms, min %.2f ms, max %.2f ms over %d runs (goal < 50 ms): %@",
                 median, times.first!, times.last!, repetitions, median < 50 ? "ok" : "SLOW"))
}
