import Foundation
import Testing
import GGUF
@testable import Kernels

/// `dotRowQ8K` (K-type weights × Q8_K activations, integer arithmetic) against ggml's
/// `ggml_vec_dot_qN_K_q8_K_generic`, and against the float reference `dotRow`.
@Suite struct Q8KDotTests {
    static let cases = (try? TestData.json("q8k_dot.json", as: [Q8KDotCase].self)) ?? []

    func inputs(_ c: Q8KDotCase) throws -> (type: GGMLType, weights: Data, x: [Float], activations: [UInt8]) {
        let type = try #require(GGMLType(name: c.type))
        let weights = try TestData.fixture("dequantize/\(c.name).blocks")
        let x = Array(TestData.floats(try TestData.fixture("quantize/\(c.activations).f32")).prefix(c.count))
        var activations = [UInt8](repeating: 0, count: c.count / 256 * 292)
        activations.withUnsafeMutableBytes { quantizeRow(type: .q8_K, from: x, count: c.count, into: $0.baseAddress!) }
        return (type, weights, x, activations)
    }

    @Test func fixturesCoverEveryKType() {
        #expect(Set(Self.cases.map(\.type)) == ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
    }

    @Test(arguments: cases.map(\.name))
    func matchesGGMLGeneric(name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let (type, weights, x, activations) = try inputs(c)
        let got = weights.withUnsafeBytes { w in
            activations.withUnsafeBytes { a in dotRowQ8K(type, w.baseAddress!, a.baseAddress!, count: c.count) }
        }
        let generic = Float(bitPattern: c.generic), native = Float(bitPattern: c.native)
        // Same integers and the same float operations, except where ggml's compiler fused a
        // multiply-add (see KQuantQ8KDot.swift): a few roundings of the block-level terms.
        let bound = 4 * Float.ulpOfOne * magnitude(type, weights, x)
        #expect(abs(got - generic) <= bound, "\(name): \(got) vs ggml generic \(generic) (native \(native))")
        #expect(abs(got - native) <= 100 * bound, "\(name): \(got) vs ggml native \(native)")
    }

    /// 8-bit activations cost little: the integer dot product stays close to the float one.
    @Test(arguments: cases.map(\.name))
    func closeToTheFloatDot(name: String) throws {
        let c = try #require(Self.cases.first { $0.name == name })
        let (type, weights, x, activations) = try inputs(c)
        let (integer, float) = weights.withUnsafeBytes { w in
            (activations.withUnsafeBytes { a in dotRowQ8K(type, w.baseAddress!, a.baseAddress!, count: c.count) },
             dotRow(type, w.baseAddress!, x, count: c.count))
        }
        #expect(abs(integer - float) <= 0.01 * magnitude(type, weights, x), "\(name): \(integer) vs \(float)")
    }

    /// Σ |weight[i] · x[i]|, the scale of the rounding errors of a dot product.
    func magnitude(_ type: GGMLType, _ weights: Data, _ x: [Float]) -> Float {
        var values = [Float](repeating: 0, count: x.count)
        weights.withUnsafeBytes { dequantizeRow(type: type, from: $0.baseAddress!, count: x.count, into: &values) }
        return zip(values, x).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
    }
}
