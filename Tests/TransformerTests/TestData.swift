import ConformanceData
import Foundation

/// Where the test data lives: the conformance data (`ConformanceData`: tiny models and their
/// references, made with llama.cpp) and `<package root>/Weights` (real models).
enum TestData {
    /// `Weights/SmolLM2-135M-Instruct.<type>.gguf` if present (Q4_1 is the default model, fetched
    /// by `Weights/setup.sh`; the others are made with `loupe quantize` or `llama-quantize`).
    static func smolLM2(_ type: String) -> String? {
        let path = Conformance.packageRoot.appendingPathComponent("Weights/SmolLM2-135M-Instruct.\(type).gguf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The default model.
    static func smolLM2() throws -> String { try Conformance.smolLM2() }

    /// The cases of the SmolLM2 reference (`Tests/Conformance/smollm2`).
    static func smolLM2Cases() throws -> [Case] { try cases(Conformance.data("smollm2/smollm2-135m-q4_1.ref.json")) }

    /// Gemma 3 270M (fetched by `Weights/setup.sh`).
    static func gemma3() throws -> String { try Conformance.gemma3() }

    /// The cases of the Gemma 3 270M reference (`Tests/Conformance/gemma3`: llama.cpp's greedy
    /// continuations and top-10 logits at each step).
    static func gemma3Cases() throws -> [Case] { try cases(Conformance.data("gemma3/gemma3-270m-q4_k_m.ref.json")) }

    /// The cases of a tiny model's reference (`tiny-q4_1`, …).
    static func tinyCases(_ name: String) throws -> [Case] { try cases(Conformance.reference("tiny/\(name)")) }

    /// The five-architecture conformance data (`Tests/Conformance/archs`: tiny random models of
    /// llama3, qwen2, qwen3, gemma3, phi3 with llama.cpp's and exact float64 references).
    static let archNames = Conformance.architectures
    static let archTypes = Conformance.architectureTypes

    /// The model file of `arch` (`gemma3`) in `type` (`f32`, `q8_0`, `q4_k`).
    static func archModel(arch: String, type: String) throws -> String { try Conformance.archModel(arch, type) }

    /// The reference cases of `arch` in `type`.
    static func archCases(arch: String, type: String) throws -> [Case] {
        try cases(Conformance.reference("archs/\(arch)-\(type)"))
    }

    /// One case of a `.ref.json` file.
    struct Case {
        let prompt: String
        let ids: [Int]
        /// Float64 reference logits, [positions][V] (tiny models only).
        let exactLogits: [[Double]]
        /// llama.cpp's logits, [positions][V] (tiny models only).
        let llamaLogits: [[Double]]
        /// Top-10 (id, logit) per position: float64 reference and llama.cpp.
        let exactTop: [[(Int, Double)]]
        let llamaTop: [[(Int, Double)]]
        let exactGreedy: [Int]
        let exactMargins: [Double]
        /// llama.cpp's greedy continuation (with `llamaTop` at each of its steps for Gemma 3).
        let llamaGreedy: [Int]
    }

    static func cases(_ data: Data) throws -> [Case] {
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        func top(_ value: Any?) -> [[(Int, Double)]] {
            (value as? [[[Double]]] ?? []).map { $0.map { (Int($0[0]), $0[1]) } }
        }
        return (root["cases"] as! [[String: Any]]).map { c in
            Case(prompt: c["prompt"] as? String ?? "",
                 ids: c["ids"] as! [Int],
                 exactLogits: c["exact_logits"] as? [[Double]] ?? [],
                 llamaLogits: c["logits"] as? [[Double]] ?? [],
                 exactTop: top(c["exact_top"]),
                 llamaTop: top(c["top"]),
                 exactGreedy: c["exact_greedy"] as? [Int] ?? [],
                 exactMargins: c["exact_margins"] as? [Double] ?? [],
                 llamaGreedy: c["greedy"] as? [Int] ?? [])
        }
    }
}
