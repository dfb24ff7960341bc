import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paths the server tests use.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let smolLM2 = packageRoot.appendingPathComponent("Weights/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static var hasSmolLM2: Bool { FileManager.default.fileExists(atPath: smolLM2) }

    /// The `loupe` executable built beside the tests (same configuration), else in `.build`.
    static let executable: String = {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [testBinary.deletingLastPathComponent().appendingPathComponent("loupe").path]
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent()
                .appendingPathComponent("loupe").path)
        }
        for config in ["release", "debug"] {
            candidates.append(packageRoot.appendingPathComponent(".build/\(config)/loupe").path)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()
}

struct ServerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A `loupe serve` child process on 127.0.0.1 and a free port (`--port 0`; the port is read
/// from the line it prints when ready).
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let apiKey: String?
    private let outURL: URL
    private let errURL: URL

    /// Starts `loupe serve -m SmolLM2 --port 0 arguments…` and waits (at most `timeout`) for it to listen.
    init(_ arguments: [String], apiKey: String? = nil, timeout: TimeInterval = 120) throws {
        self.apiKey = apiKey
        let tmp = FileManager.default.temporaryDirectory
        outURL = tmp.appendingPathComponent("loupe-serve-\(UUID().uuidString).out")
        errURL = tmp.appendingPathComponent("loupe-serve-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Paths.executable)
        process.arguments = ["serve", "-m", Paths.smolLM2, "--host", "127.0.0.1", "--port", "0"]
            + (apiKey.map { ["--api-key", $0] } ?? []) + arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            if let r = out.range(of: "http://127.0.0.1:") {
                let digits = out[r.upperBound...].prefix { $0.isNumber }
                found = Int(digits)
            }
        }
        guard let port = found else {
            if process.isRunning { process.terminate() }
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            throw ServerTestError("loupe serve did not start: \(err)")
        }
        self.port = port
    }

    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits (at most `timeout`) for the exit; returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 30) -> Int32? {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }

    // MARK: - Requests

    /// A request with the API key (unless `key` says otherwise).
    func request(_ method: String, _ path: String, json: String? = nil, key: String?? = .none,
                 timeout: TimeInterval = 120) throws -> HTTPResult {
        var headers: [String: String] = [:]
        let k: String? = key ?? apiKey
        if let k { headers["Authorization"] = "Bearer \(k)" }
        if json != nil { headers["Content-Type"] = "application/json" }
        return try RawHTTP.request(port: port, method: method, path: path, headers: headers,
                                   body: json.map { Array($0.utf8) } ?? [], timeout: timeout)
    }

    /// POSTs `body` (a JSON object) and parses the answer.
    func post(_ path: String, _ body: [String: Any], timeout: TimeInterval = 120) throws -> (Int, [String: Any]) {
        let data = try JSONSerialization.data(withJSONObject: body)
        let r = try request("POST", path, json: String(decoding: data, as: UTF8.self), timeout: timeout)
        return (r.status, r.json ?? [:])
    }
}
