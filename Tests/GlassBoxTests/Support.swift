import Foundation
import GGUF
import GlassBox
import Kernels
import Tokenizers
import Transformer

/// What the glass-box tests share: SmolLM2 from Weights/, the `loupe` executable built beside
/// them, and a reader for the `.npy` files `loupe dump` writes.
enum Fixture {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let smolLM2 = packageRoot.appendingPathComponent("Weights/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static var hasSmolLM2: Bool { FileManager.default.fileExists(atPath: smolLM2) }
    static let prompt = "The capital of France is"

    /// One glass box on SmolLM2 for the whole suite (loading maps the file; cheap, but once is enough).
    static let box: GlassBox? = {
        guard hasSmolLM2, let file = try? GGUFFile(path: smolLM2) else { return nil }
        guard let model = try? Model(file: file, backend: SIMDBackend(threads: ThreadPool.coreCount)),
              let tokenizer = try? Tokenizer(file: file) else { return nil }
        return GlassBox(model: model, tokenizer: tokenizer, file: "SmolLM2-135M-Instruct.Q4_1.gguf")
    }()

    /// The `loupe` executable: next to the test bundle (same build configuration), else in `.build`.
    static let executable: String = {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [testBinary.deletingLastPathComponent().appendingPathComponent("loupe").path]
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().appendingPathComponent("loupe").path)
        }
        for config in ["release", "debug"] {
            candidates.append(packageRoot.appendingPathComponent(".build/\(config)/loupe").path)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs a program to completion within `timeout` seconds; returns status, stdout, stderr.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], timeout: TimeInterval = 300) throws -> (Int32, String, String) {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "\(program) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        let out = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let err = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }

    /// `loupe dump --backend simd -p prompt --hook hooks… --out DIR` into a fresh directory (the
    /// suite's glass box runs the same SIMD kernels, so values are equal to the bit); returns it.
    static func dump(_ hooks: [String], prompt: String = Fixture.prompt) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-dump-\(UUID().uuidString)")
        let (status, _, err) = try run(executable, ["dump", "-m", smolLM2, "--backend", "simd", "-p", prompt, "--hook"] + hooks + ["--out", dir.path])
        guard status == 0 else { throw Failure(description: "loupe dump failed: \(err)") }
        return dir
    }
}

/// A `.npy` file of float32 values (NumPy format 1.0: magic, header length, a Python dict, data).
struct NPY {
    let shape: [Int]
    let values: [Float]

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count > 10, bytes[0] == 0x93, bytes[1 ... 5].elementsEqual("NUMPY".utf8) else {
            throw Fixture.Failure(description: "\(url.path) is not a .npy file")
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10 ..< 10 + headerLength], as: UTF8.self)
        guard header.contains("'<f4'"), let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw Fixture.Failure(description: "\(url.path): unexpected header \(header)")
        }
        shape = header[open.upperBound ..< close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let data = bytes[(10 + headerLength)...]
        var values = [Float](repeating: 0, count: data.count / 4)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        self.values = values
    }
}
