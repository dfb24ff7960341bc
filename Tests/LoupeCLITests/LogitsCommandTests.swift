import ConformanceData
import Foundation
import Testing

/// `loupe logits` writes a NumPy array of the logits of every position.
@Suite struct LogitsCommandTests {
    /// Reads a little-endian float32 `.npy` file: (shape, values).
    static func readNPY(_ path: String) throws -> ([Int], [Float]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(bytes[0 ..< 8]) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: bytes[10 ..< 10 + headerLength], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"))
        let dims = header.split(separator: "(")[1].split(separator: ")")[0]
        let shape = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var values: [Float] = []
        var i = 10 + headerLength
        while i + 4 <= bytes.count {
            let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            values.append(Float(bitPattern: bits))
            i += 4
        }
        return (shape, values)
    }

    @Test("the logits of a tiny model's prompt match the float64 reference")
    func tinyLogits() throws {
        let root = try JSONSerialization.jsonObject(with: Conformance.reference("tiny/tiny-q4_0")) as! [String: Any]
        let c = (root["cases"] as! [[String: Any]])[1]
        let ids = c["ids"] as! [Int]
        let exact = (c["exact_logits"] as! [[Double]]).flatMap { $0 }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-logits-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Loupe.run(["logits", "-m", Conformance.tinyModel("tiny-q4_0"), "--backend", "naive",
                                 "--ids", ids.map(String.init).joined(separator: ","), "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let (shape, values) = try Self.readNPY(out)
        #expect(shape == [ids.count, 396])
        #expect(values.count == exact.count)
        let worst = zip(values, exact).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 0.01)
    }

    @Test("a prompt is tokenized as llama.cpp does, with BOS as the file says unless --no-bos")
    func promptLogits() throws {
        let tiny = try Conformance.tinyModel("tiny-f32")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-logits-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try Loupe.run(["logits", "-m", tiny, "-p", "Once upon a time", "--no-bos", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.readNPY(out).0.last == 396)
        let bad = try Loupe.run(["logits", "-m", tiny, "--ids", "1,x", "--out", out])
        #expect(bad.status == 1 && bad.stderr.contains("--ids must be comma-separated integers"))
        let range = try Loupe.run(["logits", "-m", tiny, "--ids", "1,396", "--out", out])
        #expect(range.status == 1 && range.stderr.contains("token id 396 is outside the vocabulary"))
    }
}
