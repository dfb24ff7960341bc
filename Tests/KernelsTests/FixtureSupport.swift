import Foundation
import ConformanceData
import GGUF
@testable import Kernels

/// Where the test data lives: committed fixtures, the conformance models (`ConformanceData`)
/// and the real models in `Weights/`.
enum TestData {

    static let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func fixture(_ relativePath: String) throws -> Data {
        try Data(contentsOf: fixtures.appendingPathComponent(relativePath))
    }

    static func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static func json<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: fixture(name))
    }

    /// Path of a model file named in a fixture: a tiny conformance model or one in Weights/.
    static func modelPath(group: String, file: String) throws -> String {
        group == "tiny" ? try Conformance.tinyModel(String(file.dropLast(".gguf".count)))
                        : try Conformance.weights(file)
    }
}

/// One sample of `dequantize.json`.
struct DequantizeSample: Decodable, Sendable {
    let name: String, file: String, tensor: String, type: String, count: Int
}

/// One entry of `checksums.json`: gguf-py's dequantization of the first `count` elements of a tensor.
struct TensorChecksum: Decodable, Sendable {
    let group: String, file: String, tensor: String, type: String, count: Int, checksum: String, sum: Double
}

/// One case of `quantize.json`.
struct QuantizeCase: Decodable, Sendable {
    let input: String, type: String, oracle: String
}

/// The fixture checksum: Σ bits(v[i]) · (i + 1) mod 2^64, as make_fixtures.py computes it.
func checksum(_ values: UnsafeBufferPointer<Float>) -> String {
    var total: UInt64 = 0
    for (i, v) in values.enumerated() { total = total &+ UInt64(v.bitPattern) &* UInt64(i + 1) }
    let hex = String(total, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// One case of `q8k_dot.json`: ggml's K-type × Q8_K dot products (float bits).
struct Q8KDotCase: Decodable, Sendable {
    let name: String, type: String, activations: String, count: Int
    let generic: UInt32, native: UInt32
}
