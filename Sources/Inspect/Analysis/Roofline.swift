import Decoding
import Foundation
import GGUF
import Kernels

/// A roofline (Williams, Waterman and Patterson, 2009): each kernel placed by how much
/// arithmetic it does per byte it must read (its *arithmetic intensity*, FLOP/byte, x) and how
/// fast it ran (GFLOP/s, y), under the machine's two limits measured in the same run:
///
///     speed ≤ min(bandwidth × intensity, peak)
///
/// Generating one token multiplies each weight once (2 FLOP per weight; a Q4_1 weight is
/// 0.625 bytes, so about 3 FLOP/byte): under the sloped *memory* roof, a kernel can only be as
/// fast as the weights stream in. A prompt of 128 tokens reuses each weight 128 times: far right
/// of the ridge, under the flat *arithmetic* roof, where only the number of multiply-adds per
/// second matters. The naive kernel sits far below both: it is the specification, not a fast
/// kernel.
///
/// The work measured is the model's block matrices (attention and MLP weights, as stored):
/// every layer's, once each, for one token (more than the CPU's caches hold, as in generation);
/// layer 0's for a prompt (their arithmetic, not their size, sets the time).
public struct Roofline: Sendable {
    /// One backend on one workload.
    public struct Point: Sendable {
        /// `naive`, `simd`, `simd-q8`, `blas`.
        public let backend: String
        /// Tokens multiplied at once: 1 (generation) or a prompt's length.
        public let tokens: Int
        /// 2 · rows · columns · tokens, summed over the matrices.
        public let flops: Double
        /// Bytes that must be read or written at least once: the weights as stored, the input
        /// activations and the results (floats).
        public let bytes: Double
        /// Fastest time of one pass over the matrices.
        public let seconds: Double

        public init(backend: String, tokens: Int, flops: Double, bytes: Double, seconds: Double) {
            self.backend = backend
            self.tokens = tokens
            self.flops = flops
            self.bytes = bytes
            self.seconds = seconds
        }

        /// FLOP per byte: where the point sits on the x axis.
        public var intensity: Double { flops / bytes }
        /// Achieved GFLOP/s: where it sits on the y axis.
        public var gflops: Double { flops / seconds / 1e9 }
    }

    /// File name of the model, for titles.
    public let model: String
    /// Threads of the backends and of the machine references.
    public let threads: Int
    /// Streaming read of a buffer larger than the last-level cache, GB/s: the memory roof.
    public let bandwidth: Double
    /// Float multiply-adds with nothing to wait for, GFLOP/s: the arithmetic roof.
    public let peak: Double
    /// The BLAS library's sgemm on large matrices, GFLOP/s (nil without BLAS): the best a
    /// real float kernel reaches, for comparison.
    public let sgemm: Double?
    public let points: [Point]
    /// Backends asked for that could not be made (no BLAS library), with the reason.
    public let unavailable: [String]

    public init(model: String, threads: Int, bandwidth: Double, peak: Double, sgemm: Double? = nil,
                points: [Point], unavailable: [String] = []) {
        self.model = model
        self.threads = threads
        self.bandwidth = bandwidth
        self.peak = peak
        self.sgemm = sgemm
        self.points = points
        self.unavailable = unavailable
    }

    /// The best speed the machine allows at `intensity` FLOP/byte, GFLOP/s.
    public func roof(at intensity: Double) -> Double { min(bandwidth * intensity, peak) }

    /// The intensity where the two roofs meet (FLOP/byte): left of it memory limits, right of
    /// it arithmetic.
    public var ridge: Double { peak / bandwidth }

    /// Measures the machine's roofs, then each backend on the block matrices of `file`: one
    /// token through every layer, and `promptTokens` tokens through layer 0.
    public static func measure(file: GGUFFile, backends: [BackendKind] = [.naive, .simd, .simdQ8, .blas],
                               threads: Int = ThreadPool.coreCount, promptTokens: Int = 128) throws -> Roofline {
        let pool = ThreadPool(threads: threads)
        // Roofs first, before the BLAS backend takes the library's threads.
        let bandwidth = MachineReferences.streamingRead(pool: pool)
        let peak = MachineReferences.floatPeak(pool: pool)
        let sgemm = MachineReferences.sgemmPeak(threads: threads)

        let blockMatrices = file.tensors.filter { $0.name.hasPrefix("blk.") && $0.shape.count == 2 }
        let generation = blockMatrices.map { WeightMatrix(file: file, tensor: $0) }
        let prompt = blockMatrices.filter { $0.name.hasPrefix("blk.0.") }.map { WeightMatrix(file: file, tensor: $0) }
        guard !generation.isEmpty else { throw RooflineError.noMatrices(file.path) }

        var points: [Point] = []
        var unavailable: [String] = []
        for kind in backends {
            let backend: any Backend
            do { backend = try kind.makeBackend(threads: threads) } catch {
                unavailable.append("\(kind.rawValue): \(error)")
                continue
            }
            points.append(time(backend, name: kind.rawValue, generation, tokens: 1))
            points.append(time(backend, name: kind.rawValue, prompt, tokens: promptTokens))
        }
        let name = URL(fileURLWithPath: file.path).lastPathComponent
        return Roofline(model: name, threads: pool.threadCount, bandwidth: bandwidth, peak: peak, sgemm: sgemm,
                        points: points, unavailable: unavailable)
    }

    /// The fastest of a few passes of `backend` over `matrices` with `tokens` tokens.
    static func time(_ backend: any Backend, name: String, _ matrices: [WeightMatrix], tokens: Int) -> Point {
        let widest = matrices.map(\.columns).max() ?? 0, tallest = matrices.map(\.rows).max() ?? 0
        var random = MersenneTwister(seed: 1)
        let x = (0 ..< tokens * widest).map { _ in Float(random.next() % 2001) / 1000 - 1 }
        var y = [Float](repeating: 0, count: tokens * tallest)
        var flops = 0.0, bytes = 0.0
        for w in matrices {
            flops += 2 * Double(w.rows) * Double(w.columns) * Double(tokens)
            bytes += Double(w.rows * w.rowBytes) + 4 * Double(tokens) * Double(w.columns + w.rows)
        }
        let seconds = x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                Stopwatch.secondsPerCall(budget: 0.5, maxCalls: 50) {
                    for w in matrices {
                        let input = UnsafeBufferPointer(rebasing: xs[0 ..< tokens * w.columns])
                        let output = UnsafeMutableBufferPointer(rebasing: ys[0 ..< tokens * w.rows])
                        if tokens == 1 { backend.matVec(w, input, into: output) }
                        else { backend.matMul(w, input, count: tokens, into: output) }
                    }
                }
            }
        }
        return Point(backend: name, tokens: tokens, flops: flops, bytes: bytes, seconds: seconds)
    }

    /// The measures as a Markdown table, with the roofs first.
    public var table: String {
        var lines = ["roofline of \(model), \(threads) thread\(threads == 1 ? "" : "s")",
                     "memory roof: streaming read \(format(bandwidth)) GB/s",
                     "arithmetic roof: multiply-adds \(format(peak)) GFLOP/s"
                         + (sgemm.map { " (BLAS sgemm reaches \(format($0)) GFLOP/s)" } ?? ""),
                     "",
                     "| backend | tokens | FLOP/byte | speed | roof there | of the roof |",
                     "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for p in points {
            let roof = roof(at: p.intensity)
            lines.append("| \(p.backend) | \(p.tokens) | \(format(p.intensity)) | \(format(p.gflops)) GFLOP/s "
                         + "| \(format(roof)) GFLOP/s | ×\(String(format: "%.2f", p.gflops / roof)) |")
        }
        for reason in unavailable { lines.append("unavailable: \(reason)") }
        return lines.joined(separator: "\n")
    }

    /// Three significant digits at most, no exponent.
    private func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }
}

/// Why a roofline cannot be measured.
public enum RooflineError: Error, CustomStringConvertible, Equatable {
    /// The file has no `blk.*` matrices to multiply.
    case noMatrices(String)

    public var description: String {
        switch self {
        case .noMatrices(let path): return "\(path): no block matrices (blk.*) to measure"
        }
    }
}
