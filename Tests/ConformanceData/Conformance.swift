import Foundation
import GGUF
import Kernels
import Synchronization

/// The conformance data every test target reads, all of it from this repository or from what
/// `Weights/setup.sh --tests` fetches (see `Tests/Conformance/README.md`):
///
/// - `Tests/Conformance/`: tiny random models in F32, llama.cpp's and the exact float64 logits
///   (`*.ref.json.gz`), SmolLM2's and the tokenizers' references, and the fingerprints of
///   llama.cpp's quantized files (`llama-quantize.json`);
/// - the quantized models, made here from the F32 ones with Loupe's quantizer (whose tensors
///   equal `llama-quantize`'s: `ModelQuantizerTests` checks every one against the fingerprints),
///   written once into `.build/conformance/`;
/// - `Weights/`: the real models, and `Weights/llama.cpp/`: llama.cpp's vocabulary test files
///   and grammars from the `llama-cpp-python` sdist.
///
/// Missing data is an error that says which command brings it, never a skipped test.
public enum Conformance {
    /// The package root, from this file's path (`Tests/ConformanceData/Conformance.swift`).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `Tests/Conformance`: the committed data.
    public static let directory = packageRoot.appendingPathComponent("Tests/Conformance")
    /// Where the generated quantized models go (inside `.build`, so never committed).
    public static let generatedDirectory = packageRoot.appendingPathComponent(".build/conformance")
    /// llama.cpp's files fetched by `Weights/setup.sh --tests` (`models/`, `grammars/`).
    public static let llamaCppDirectory = packageRoot.appendingPathComponent("Weights/llama.cpp")

    /// A missing file, with the command that brings it.
    public struct MissingData: Error, CustomStringConvertible {
        public let path: String
        public let remedy: String
        public var description: String { "\(path) is absent: \(remedy)" }
    }

    // MARK: - Models

    /// The tiny llama models, one per quantization, as llama.cpp's conformance set has them (`tiny-f32`, …).
    public static let tinyModels = ["tiny-f32", "tiny-f16", "tiny-bf16", "tiny-q8_0", "tiny-q4_0",
                                    "tiny-q4_1", "tiny-q5_0", "tiny-q5_1", "tiny-q2_k", "tiny-q3_k_s",
                                    "tiny-q4_k_s", "tiny-q5_k_s", "tiny-q6_k", "tiny-q4_k_m"]

    /// The architecture families of `archs/` and their files' types.
    public static let architectures = ["llama3", "qwen2", "qwen3", "gemma3", "phi3"]
    public static let architectureTypes = ["f32", "q8_0", "q4_k"]

    /// Path of `tiny/NAME.gguf` (NAME as in `tinyModels`), made on first use when quantized.
    public static func tinyModel(_ name: String) throws -> String {
        try model("tiny/\(name)")
    }

    /// Path of `archs/ARCH-TYPE.gguf` (TYPE in `architectureTypes`), made on first use when quantized.
    public static func archModel(_ arch: String, _ type: String) throws -> String {
        try model("archs/\(arch)-\(type)")
    }

    /// Path of a conformance model named `group/name` (no extension): a committed F32 file, or
    /// one made from it as its entry in `llama-quantize.json` says.
    public static func model(_ key: String) throws -> String {
        let committed = directory.appendingPathComponent(key + ".gguf").path
        if key.hasSuffix("-f32") { return try existing(committed, remedy: "the repository is incomplete") }
        return try generated.withLock { made in
            if let path = made[key] { return path }
            let path = try quantize(key)
            made[key] = path
            return path
        }
    }

    /// Models already made in this process (the tests run in parallel).
    private static let generated = Mutex<[String: String]>([:])

    /// How llama.cpp made one quantized file, and what its tensors hold.
    public struct QuantizedFile: Decodable, Sendable {
        public struct Tensor: Decodable, Sendable {
            public let type: UInt32
            public let fnv1a64: String
        }
        /// The F32 file it was made from (`group/name`).
        public let source: String
        /// A `GGMLType` name (`--pure`) or a `QuantizationMix` name.
        public let quantization: String
        public let file_type: UInt32
        public let quantization_version: UInt32?
        public let tensors: [String: Tensor]
    }

    /// `llama-quantize.json`: every quantized conformance file, by `group/name`.
    public static func quantizedFiles() throws -> [String: QuantizedFile] {
        try JSONDecoder().decode([String: QuantizedFile].self, from: data("llama-quantize.json"))
    }

    /// Loupe's quantization of `source` as `recipe` says: a type (`Q8_0`: llama-quantize
    /// `--pure`), a mix (`Q4_K_M`), or a mix with `--pure` (`Q4_K_M --pure`: llama-quantize's
    /// `Q4_K --pure`, every matrix Q4_K and the file type of Q4_K_M).
    public static func quantize(_ source: GGUFFile, recipe: String) throws -> GGUFWriter {
        let words = recipe.split(separator: " ").map(String.init)
        if let mix = QuantizationMix(name: words[0]) {
            return try ModelQuantizer.quantize(source, mix: mix, pure: words.dropFirst() == ["--pure"])
        }
        guard let type = GGMLType(name: recipe) else { throw MissingData(path: recipe, remedy: "not a type or mix") }
        return try ModelQuantizer.quantize(source, to: type)
    }

    /// Writes `generatedDirectory/key.gguf` unless a file with llama.cpp's tensors is there
    /// already (written whole, then renamed, so no test process reads half a file).
    private static func quantize(_ key: String) throws -> String {
        guard let entry = try quantizedFiles()[key] else {
            throw MissingData(path: key, remedy: "no such conformance model (see llama-quantize.json)")
        }
        let target = generatedDirectory.appendingPathComponent(key + ".gguf").path
        if let file = try? GGUFFile(path: target), differences(file, entry).isEmpty { return target }

        let writer = try quantize(try GGUFFile(path: try model(entry.source)), recipe: entry.quantization)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let partial = target + ".\(ProcessInfo.processInfo.processIdentifier).partial"
        try writer.write(to: partial)
        guard rename(partial, target) == 0 else { throw MissingData(path: target, remedy: "could not be written") }
        let different = differences(try GGUFFile(path: target), entry)
        guard different.isEmpty else {
            throw MissingData(path: target, remedy: "Loupe's quantizer no longer writes llama.cpp's tensors: \(different.prefix(3))")
        }
        return target
    }

    /// The tensors of `file` whose type or bytes differ from llama.cpp's file (missing ones too).
    public static func differences(_ file: GGUFFile, _ entry: QuantizedFile) -> [String] {
        var names = Set(entry.tensors.keys).symmetricDifference(file.tensors.map(\.name)).sorted()
        for info in file.tensors {
            guard let expected = entry.tensors[info.name] else { continue }
            if info.type.rawValue != expected.type || fnv1a64(file.data(of: info)) != expected.fnv1a64 {
                names.append(info.name)
            }
        }
        return names
    }

    /// The 64-bit FNV-1a hash of `bytes`, in hex, as `make_fingerprints.py` computes it.
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: - References

    /// The bytes of `Tests/Conformance/RELATIVE`; a `.gz` file is decompressed (with gzip).
    public static func data(_ relative: String) throws -> Data {
        let plain = directory.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: plain) {
            return try Data(contentsOf: URL(fileURLWithPath: plain))
        }
        return try gunzip(try existing(plain + ".gz", remedy: "the repository is incomplete"))
    }

    /// A reference of `tiny/` or `archs/`, by model (`tiny/tiny-q4_1`, `archs/qwen3-f32`).
    public static func reference(_ key: String) throws -> Data { try data(key + ".ref.json") }

    private static func gunzip(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec gzip -dc \"$0\"", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MissingData(path: path, remedy: "gzip could not read it") }
        return data
    }

    // MARK: - Real models and llama.cpp's files

    /// `Weights/NAME`, fetched by `Weights/setup.sh`.
    public static func weights(_ name: String) throws -> String {
        try existing(packageRoot.appendingPathComponent("Weights/\(name)").path, remedy: "run Weights/setup.sh")
    }

    /// The default model, SmolLM2-135M-Instruct Q4_1.
    public static func smolLM2() throws -> String { try weights("SmolLM2-135M-Instruct.Q4_1.gguf") }

    /// Gemma 3 270M Q4_K_M.
    public static func gemma3() throws -> String { try weights("gemma-3-270m-q4_k_m.gguf") }

    /// llama.cpp's vocabulary file `ggml-vocab-NAME.gguf` (its `.inp`/`.out` test cases beside it).
    public static func vocabulary(_ name: String) throws -> String {
        try existing(llamaCppDirectory.appendingPathComponent("models/ggml-vocab-\(name).gguf").path,
                     remedy: "run Weights/setup.sh --tests")
    }

    /// llama.cpp's `grammars/` folder.
    public static func grammarsDirectory() throws -> URL {
        let url = llamaCppDirectory.appendingPathComponent("grammars")
        _ = try existing(url.path, remedy: "run Weights/setup.sh --tests")
        return url
    }

    private static func existing(_ path: String, remedy: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw MissingData(path: path, remedy: remedy) }
        return path
    }
}
