import Foundation
import Testing
import GGUF
@testable import Kernels

/// Loupe's quantizers against ggml's reference quantizers: gguf-py's `gguf.quants.quantize` for
/// the simple types (it mirrors `quantize_row_*_ref` bit for bit) and ggml's own C functions
/// (called from make_fixtures.py) for the K types. Same input, same bytes.
@Suite struct QuantizeTests {
    static let cases = (try? TestData.json("quantize.json", as: [QuantizeCase].self)) ?? []

    @Test func fixturesCoverTheQuantizers() {
        let covered = Set(Self.cases.map(\.type))
        for type in ["F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"] {
            #expect(covered.contains(type), "no quantize fixture for \(type)")
        }
    }

    @Test(arguments: cases.map { "\($0.input).\($0.type)" })
    func bytesMatchReference(name: String) throws {
        let parts = name.split(separator: ".")
        let input = String(parts[0])
        let type = try #require(GGMLType(name: String(parts[1])))
        let x = TestData.floats(try TestData.fixture("quantize/\(input).f32"))
        let expected = [UInt8](try TestData.fixture("quantize/\(name)"))
        var got = [UInt8](repeating: 0, count: try #require(type.byteCount(elements: x.count)))
        got.withUnsafeMutableBytes { out in quantizeRow(type: type, from: x, count: x.count, into: out.baseAddress!) }
        #expect(got.count == expected.count)
        let bad = (0..<min(got.count, expected.count)).filter { got[$0] != expected[$0] }
        let blockBytes = type.bytesPerBlock
        #expect(bad.isEmpty, "\(name): \(bad.count) bytes differ, first in block \((bad.first ?? 0) / blockBytes)")
    }

    /// Quantize → dequantize stays within each format's resolution: the error of each weight is
    /// at most about half a quantization step of its block.
    @Test(arguments: quantizableTypes)
    func roundTripErrorIsBounded(type: GGMLType) {
        var generator = SplitMix(seed: 42)
        let count = 4096
        let x = (0..<count).map { _ in generator.nextGaussian() * 0.02 }
        let y = roundTrip(x, type)
        let rms = (x.reduce(0.0) { $0 + Double($1 * $1) } / Double(count)).squareRoot()
        let errorRMS = (zip(x, y).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(count)).squareRoot()
        // Relative RMS error bounds, loose versions of what ggml's own quantizers reach on
        // Gaussian data (see docs/kernels.md, "Quantization error").
        let bound: Double = switch type {
        case .f32: 0
        case .f16: 1e-3
        case .bf16: 5e-3
        case .q8_0, .q8_K: 0.01
        case .q6_K: 0.03
        case .q5_0, .q5_1, .q5_K: 0.06
        case .q4_0, .q4_1, .q4_K: 0.12
        case .q3_K: 0.25
        default: 0.5
        }
        #expect(errorRMS <= bound * rms, "\(type): relative RMS error \(errorRMS / rms)")
    }

    /// Blocks of zeros quantize to zeros and come back as zeros, in every format.
    @Test(arguments: quantizableTypes)
    func zerosStayZero(type: GGMLType) {
        let x = [Float](repeating: 0, count: 512)
        #expect(roundTrip(x, type).allSatisfy { $0 == 0 })
    }

    func roundTrip(_ x: [Float], _ type: GGMLType) -> [Float] {
        var bytes = [UInt8](repeating: 0, count: type.byteCount(elements: x.count)!)
        bytes.withUnsafeMutableBytes { quantizeRow(type: type, from: x, count: x.count, into: $0.baseAddress!) }
        var y = [Float](repeating: .nan, count: x.count)
        bytes.withUnsafeBytes { dequantizeRow(type: type, from: $0.baseAddress!, count: x.count, into: &y) }
        return y
    }
}
