import Foundation
import GGUF
import Kernels
import Testing
@testable import Inspect

@Suite struct RooflineTests {
    /// A roofline with round roofs: 20 GB/s, 100 GFLOP/s (ridge at 5 FLOP/byte).
    static func sample(points: [Roofline.Point]) -> Roofline {
        Roofline(model: "m.gguf", threads: 2, bandwidth: 20, peak: 100, sgemm: 80, points: points)
    }

    @Test func theRoofIsTheLowerOfTheTwoLimits() {
        let r = Self.sample(points: [])
        #expect(r.ridge == 5)
        #expect(r.roof(at: 1) == 20, "left of the ridge: bandwidth × intensity")
        #expect(r.roof(at: 5) == 100)
        #expect(r.roof(at: 400) == 100, "right of it: the peak")
        let p = Roofline.Point(backend: "simd", tokens: 1, flops: 6e9, bytes: 2e9, seconds: 0.5)
        #expect(p.intensity == 3)
        #expect(p.gflops == 12)
    }

    /// Measured on the tiny Q4_1 model: each backend gets a one-token point and a prompt point,
    /// with the work counted from the file's own matrices.
    @Test func measuresEveryBackendOnTheBlockMatrices() throws {
        let file = try GGUFFile(path: try TestModels.tiny)
        let r = try Roofline.measure(file: file, backends: [.naive, .simdQ8], threads: 1, promptTokens: 16)
        #expect(r.bandwidth > 0 && r.peak > 0)
        #expect(r.points.map(\.backend) == ["naive", "naive", "simd-q8", "simd-q8"])
        #expect(r.points.map(\.tokens) == [1, 16, 1, 16])
        let matrices = file.tensors.filter { $0.name.hasPrefix("blk.") && $0.shape.count == 2 }
        let layer0 = matrices.filter { $0.name.hasPrefix("blk.0.") }
        let weights = matrices.reduce(0.0) { $0 + Double($1.rows * $1.columns) }
        let weights0 = layer0.reduce(0.0) { $0 + Double($1.rows * $1.columns) }
        #expect(r.points[0].flops == 2 * weights, "one token: every layer's matrices once")
        #expect(r.points[1].flops == 2 * weights0 * 16, "a prompt: layer 0's matrices, 16 tokens")
        let bytes1 = matrices.reduce(0.0) { $0 + Double($1.byteCount + 4 * ($1.columns + $1.rows)) }
        #expect(r.points[0].bytes == bytes1)
        #expect(r.points[1].intensity > 4 * r.points[0].intensity, "a prompt reuses each weight")
        for p in r.points { #expect(p.seconds > 0 && p.gflops.isFinite) }
        #expect(r.table.contains("| simd-q8 | 16 |"))
    }

    @Test func aFileWithoutBlockMatricesIsRefused() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.addTensor(name: "token_embd.weight", shape: [4, 2], floats: Array(repeating: 0.5, count: 8))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roofline-empty-\(UUID()).gguf").path
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: RooflineError.noMatrices(path)) {
            try Roofline.measure(file: try GGUFFile(path: path), backends: [.naive], threads: 1)
        }
    }

    @Test func drawsTheRoofAndOneMarkPerKernel() throws {
        let points = [
            Roofline.Point(backend: "naive", tokens: 1, flops: 3e8, bytes: 1e8, seconds: 0.2),
            Roofline.Point(backend: "naive", tokens: 128, flops: 1e9, bytes: 1e7, seconds: 0.6),
            Roofline.Point(backend: "simd", tokens: 1, flops: 3e8, bytes: 1e8, seconds: 0.01),
            Roofline.Point(backend: "simd", tokens: 128, flops: 1e9, bytes: 1e7, seconds: 0.02),
        ]
        let svg = try rooflineSVG(Self.sample(points: points))
        let xml = try #require(XMLSummary.parse(svg), "well-formed XML")
        let marks = xml.elements("g").filter { $0["class"] == "kernel" }
        #expect(marks.count == 4)
        // Generation as discs, prompts as squares; the legend adds a disc per backend and one of each shape.
        #expect(xml.counts["circle", default: 0] == 2 + 2 + 1)
        #expect(xml.elements("rect").filter { $0["width"] == "10" }.count == 2 + 1)
        #expect(xml.texts.contains("memory: 20 GB/s"))
        #expect(xml.texts.contains("arithmetic: 100 GFLOP/s"))
        #expect(xml.texts.contains("BLAS sgemm: 80 GFLOP/s"))
        // The roof bends at the ridge: three points, the last two at the same height.
        let roof = try #require(xml.elements("polyline").first?["points"]).split(separator: " ")
        #expect(roof.count == 3)
        #expect(roof[1].split(separator: ",")[1] == roof[2].split(separator: ",")[1])
        #expect(svg.contains("simd, 128 tokens: 100 FLOP/byte, 50 GFLOP/s (50 % of the roof)"))
    }

    @Test func refusesAPictureItCannotDraw() {
        #expect(throws: PictureError.self) { try rooflineSVG(Self.sample(points: [])) }
        let stopped = Roofline.Point(backend: "simd", tokens: 1, flops: 1, bytes: 1, seconds: 0)
        #expect(throws: PictureError.self) { try rooflineSVG(Self.sample(points: [stopped])) }
    }
}
