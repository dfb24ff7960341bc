import ArgumentParser
import Foundation
import Loupe

/// The model every command uses when `-m` is not given.
enum DefaultModel {
    static let relativePath = "Weights/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// `$LOUPE_MODEL`, else the default file, looked for in the current directory and then
    /// beside the package the executable was built from.
    static func path() throws -> String {
        if let env = ProcessInfo.processInfo.environment["LOUPE_MODEL"], !env.isEmpty { return env }
        var candidates = [relativePath]
        // .build/<config>/loupe → package root
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0 ..< 4 {
            candidates.append(dir.appendingPathComponent(relativePath).path)
            dir = dir.deletingLastPathComponent()
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw CLIError("no model given and the default model \(relativePath) is missing: "
                       + "fetch it with Weights/setup.sh, or pass -m MODEL.gguf, or set LOUPE_MODEL")
    }
}

/// Options every model command shares.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "GGUF model file (default: $LOUPE_MODEL or \(DefaultModel.relativePath)).")
    var model: String?

    /// The model path to open.
    func resolvedPath() throws -> String {
        if let model { return model }
        return try DefaultModel.path()
    }

    /// Opens the model file.
    func open() throws -> GGUFFile {
        try GGUFFile(path: resolvedPath())
    }
}

/// An error the command line reports as one line on stderr, exiting with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Runs `body`, printing any error as `loupe: message` on stderr and exiting with status 1.
/// Errors from the library carry the file, offset or token they are about.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        FileHandle.standardError.write(Data("loupe: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Writes `text` to the file at `path`, or fails with a `CLIError` naming it.
func writeFile(_ path: String, _ text: String) throws {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw CLIError("cannot write \(path): \(error.localizedDescription)")
    }
}

/// Writes `text` to standard output without a trailing newline and flushes it (for streaming).
func printFlushed(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Serializes a JSON-compatible value (dictionaries, arrays, strings, numbers) as one line.
func jsonLine(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
