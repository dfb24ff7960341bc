import Foundation
import Testing
import GGUF
@testable import Kernels

/// Loupe's dequantization against gguf-py's (which mirrors ggml's `dequantize_row_*`):
/// bit for bit, for every format.
@Suite struct DequantizeTests {
    static let samples = (try? TestData.json("dequantize.json", as: [DequantizeSample].self)) ?? []
    static let checksums = (try? TestData.json("checksums.json", as: [TensorChecksum].self)) ?? []

    @Test func fixturesCoverEveryComputableType() {
        let sampled = Set(Self.samples.map(\.type))
        for type in GGMLType.computable {
            #expect(sampled.contains(type.name), "no dequantize sample of \(type)")
        }
    }

    /// Committed samples: raw blocks from real files and gguf-py's values for them.
    @Test(arguments: samples.map(\.name))
    func sampleMatchesGGUFPy(name: String) throws {
        let sample = try #require(Self.samples.first { $0.name == name })
        let type = try #require(GGMLType(name: sample.type))
        let blocks = try TestData.fixture("dequantize/\(name).blocks")
        let expected = TestData.floats(try TestData.fixture("dequantize/\(name).f32"))
        #expect(blocks.count == type.byteCount(elements: sample.count))
        var got = [Float](repeating: .nan, count: sample.count)
        blocks.withUnsafeBytes { raw in
            dequantizeRow(type: type, from: raw.baseAddress!, count: sample.count, into: &got)
        }
        let mismatches = (0..<sample.count).filter { got[$0].bitPattern != expected[$0].bitPattern }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) values differ, first at \(mismatches.first ?? -1)")
    }

    /// Every tensor of every tiny conformance model, dequantized row by row, gives gguf-py's bits.
    @Test func tinyModelsMatchGGUFPy() throws {
        try checkChecksums(group: "tiny")
    }

    /// The first elements of every tensor of the real models in Weights/.
    @Test func realModelsMatchGGUFPy() throws {
        try checkChecksums(group: "weights")
    }

    func checkChecksums(group: String) throws {
        var checked = 0
        for (file, entries) in Dictionary(grouping: Self.checksums.filter { $0.group == group }, by: \.file) {
            let path = try TestData.modelPath(group: group, file: file)
            let gguf = try GGUFFile(path: path)
            for entry in entries {
                let info = try gguf.requireTensor(entry.tensor)
                #expect(info.type.name == entry.type)
                let matrix = WeightMatrix(file: gguf, tensor: info)
                var values = [Float](repeating: .nan, count: entry.count)
                values.withUnsafeMutableBufferPointer { out in
                    var done = 0, row = 0
                    while done < entry.count {
                        let n = min(matrix.columns, entry.count - done)
                        dequantizeRow(type: info.type, from: matrix.row(row), count: n, into: out.baseAddress! + done)
                        done += n; row += 1
                    }
                }
                let sum = values.reduce(0.0) { $0 + Double($1) }
                let got = values.withUnsafeBufferPointer(checksum)
                #expect(got == entry.checksum, "\(file) \(entry.tensor) (\(entry.type)): sum \(sum), gguf-py \(entry.sum)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    /// The fused dot product is the dot product of the dequantized row.
    @Test(arguments: samples.map(\.name))
    func dotRowIsDotOfDequantizedRow(name: String) throws {
        let sample = try #require(Self.samples.first { $0.name == name })
        let type = try #require(GGMLType(name: sample.type))
        let blocks = try TestData.fixture("dequantize/\(name).blocks")
        let weights = TestData.floats(try TestData.fixture("dequantize/\(name).f32"))
        var generator = SplitMix(seed: 7)
        let x = (0..<sample.count).map { _ in generator.nextFloat() * 2 - 1 }
        let expected = zip(weights, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(weights, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        let got = blocks.withUnsafeBytes { raw in
            dotRow(type, raw.baseAddress!, x, count: sample.count)
        }
        #expect(abs(Double(got) - expected) <= 1e-5 * magnitude, "\(name): \(got) vs \(expected)")
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Approximately standard normal (sum of 12 uniforms − 6).
    mutating func nextGaussian() -> Float { (0..<12).reduce(Float(0)) { acc, _ in acc + nextFloat() } - 6 }
}
