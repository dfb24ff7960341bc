import Foundation

/// Debian's headless Chromium, driven from the command line the way a CI job would.
enum Chromium {
    /// The browser: `$LOUPE_CHROMIUM`, else the usual install paths; nil when absent.
    static let executable: String? = {
        var candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        if let custom = ProcessInfo.processInfo.environment["LOUPE_CHROMIUM"], !custom.isEmpty {
            candidates.insert(custom, at: 0)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isAvailable: Bool { executable != nil }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the browser headless on `page` with `options`, killing it after `timeout` seconds.
    /// Returns its standard output (the DOM for `--dump-dom`).
    static func run(_ options: [String], page: URL, timeout: TimeInterval = 90) throws -> String {
        guard let executable else { throw Failure(description: "chromium is not installed") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // A private profile directory: parallel runs and read-only homes do not interfere.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--user-data-dir=\(scratch.appendingPathComponent("profile").path)"]
            + options + [page.absoluteString]
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "chromium did not finish within \(Int(timeout)) s")
        }
        try out.close()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "chromium exited with status \(process.terminationStatus)")
        }
        return String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    }
}

/// The few facts about a PNG file a screenshot check needs, read from its chunks
/// (PNG spec §5: 8-byte signature, then chunks `length(4, big-endian) type(4) data crc(4)`).
struct PNGSummary {
    let width: Int
    let height: Int
    /// Total size of the compressed image data. A uniform picture compresses to almost nothing,
    /// so this measures how much there is to see.
    let compressedBytes: Int

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 33, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Chromium.Failure(description: "not a PNG file (\(bytes.count) bytes)")
        }
        func u32(_ at: Int) -> Int { bytes[at ..< at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var width = 0, height = 0, idat = 0, offset = 8
        while offset + 12 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[offset + 4 ..< offset + 8], as: UTF8.self)
            guard offset + 12 + length <= bytes.count else {
                throw Chromium.Failure(description: "PNG chunk \(type) at offset \(offset) runs past the end")
            }
            if type == "IHDR" { width = u32(offset + 8); height = u32(offset + 12) }
            if type == "IDAT" { idat += length }
            if type == "IEND" { break }
            offset += 12 + length
        }
        guard width > 0, height > 0 else { throw Chromium.Failure(description: "PNG without IHDR") }
        self.width = width
        self.height = height
        self.compressedBytes = idat
    }
}
