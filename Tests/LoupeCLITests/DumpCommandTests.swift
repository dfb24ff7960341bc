import Foundation
import Testing

/// `loupe dump` on the tiny model of the conformance data: one .npy per hook, named after it.
@Suite struct DumpCommandTests {
    static var tiny: String { get throws { try Loupe.tiny } }

    /// Shape and float32 values of a .npy file written by Loupe.
    private func readNumPy(_ path: String) throws -> (shape: [Int], values: [Float]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10 ..< 10 + headerLength], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'"))
        let inside = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        let shape = inside.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let body = data[(10 + headerLength)...]
        var values: [Float] = []
        for i in stride(from: body.startIndex, to: body.endIndex, by: 4) {
            var bits = UInt32(body[i])
            bits |= UInt32(body[i + 1]) << 8
            bits |= UInt32(body[i + 2]) << 16
            bits |= UInt32(body[i + 3]) << 24
            values.append(Float(bitPattern: bits))
        }
        return (shape, values)
    }

    @Test func writesEachHookAsNumPy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Loupe.run(["dump", "-m", Self.tiny, "-p", "Hello world", "--hook", "blocks.*.attn.hook_pattern",
                               "l_out-1", "k 0", "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["blocks.0.attn.hook_k.npy", "blocks.0.attn.hook_pattern.npy", "blocks.1.attn.hook_pattern.npy",
                          "blocks.1.hook_resid_post.npy", "tokens.json"])
        let tokens = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/tokens.json"))) as! [String: Any]
        let T = (tokens["ids"] as! [Int]).count
        let pattern = try readNumPy(dir + "/blocks.1.attn.hook_pattern.npy")
        #expect(pattern.shape == [4, T, T])
        for row in 0 ..< 4 * T {
            let sum = pattern.values[row * T ..< (row + 1) * T].reduce(0, +)
            #expect(abs(sum - 1) < 1e-5)
        }
        #expect(try readNumPy(dir + "/blocks.0.attn.hook_k.npy").shape == [T, 2, 64])
        #expect(try readNumPy(dir + "/blocks.1.hook_resid_post.npy").shape == [T, 256])
    }

    @Test func unknownHookIsAnError() throws {
        let r = try Loupe.run(["dump", "-m", Self.tiny, "-p", "Hi", "--hook", "blocks.0.hook_nothing", "--out", "/tmp/unused-dump"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("unknown hook point 'blocks.0.hook_nothing'"))
    }
}
