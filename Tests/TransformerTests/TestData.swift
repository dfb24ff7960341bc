import Foundation

/// Where the test data lives: `<package root>/../shared` (conformance data made with llama.cpp)
/// and `<package root>/Weights` (real models). Tests that need them skip when they are absent.
enum TestData {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = packageRoot.appendingPathComponent("../shared").standardizedFileURL
    static let tiny = shared.appendingPathComponent("conformance/tiny")
    static let smolLM2Reference = shared.appendingPathComponent("conformance/smollm2/smollm2-135m-q4_1.ref.json")

    /// `Weights/SmolLM2-135M-Instruct.<type>.gguf` if present (Q4_1 is the default model; the
    /// others are made with `loupe quantize` or llama.cpp's `llama-quantize`).
    static func smolLM2(_ type: String) -> String? {
        let path = packageRoot.appendingPathComponent("Weights/SmolLM2-135M-Instruct.\(type).gguf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static var smolLM2: String? { smolLM2("Q4_1") }

    /// `Weights/gemma-3-270m-q4_k_m.gguf` if present (fetched by `Weights/setup.sh`).
    static var gemma3: String? {
        let path = packageRoot.appendingPathComponent("Weights/gemma-3-270m-q4_k_m.gguf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static var hasTiny: Bool { FileManager.default.fileExists(atPath: tiny.appendingPathComponent("tiny-f32.gguf").path) }
    static var hasSmolLM2: Bool {
        smolLM2 != nil && FileManager.default.fileExists(atPath: smolLM2Reference.path)
    }

    /// The tiny model files, one per quantization (`tiny-f32`, `tiny-q4_k_m`, …).
    static var tinyModels: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tiny.path)) ?? []
        return names.filter { $0.hasSuffix(".gguf") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The five-architecture conformance data (`Tests/Conformance/archs`: tiny random models of
    /// llama3, qwen2, qwen3, gemma3, phi3 with llama.cpp's and exact float64 references).
    /// `archModel` and `archReference` are the only places that know where it lives.
    static let archsDirectory = packageRoot.appendingPathComponent("Tests/Conformance/archs")
    static let archNames = ["llama3", "qwen2", "qwen3", "gemma3", "phi3"]
    static let archTypes = ["f32", "q8_0", "q4_k"]

    /// The model file of `arch` (`gemma3`) in `type` (`f32`, `q8_0`, `q4_k`).
    static func archModel(arch: String, type: String) -> String {
        archsDirectory.appendingPathComponent("\(arch)-\(type).gguf").path
    }

    /// The reference file of `arch` in `type` (gzip-compressed `.ref.json.gz`, or plain `.ref.json`).
    static func archReference(arch: String, type: String) -> URL {
        let gz = archsDirectory.appendingPathComponent("\(arch)-\(type).ref.json.gz")
        return FileManager.default.fileExists(atPath: gz.path)
            ? gz : archsDirectory.appendingPathComponent("\(arch)-\(type).ref.json")
    }

    static var hasArchs: Bool {
        FileManager.default.fileExists(atPath: archModel(arch: "llama3", type: "f32"))
            && FileManager.default.fileExists(atPath: archReference(arch: "llama3", type: "f32").path)
    }

    /// The bytes of `url`, gunzipped (by the system's `gzip`) when it ends in `.gz`.
    static func contents(_ url: URL) throws -> Data {
        guard url.pathExtension == "gz" else { return try Data(contentsOf: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
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
    }

    static func cases(_ url: URL) throws -> [Case] {
        let data = try contents(url)
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
                 exactMargins: c["exact_margins"] as? [Double] ?? [])
        }
    }
}
