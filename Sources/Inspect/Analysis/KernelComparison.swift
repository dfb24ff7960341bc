import Foundation
import Kernels

/// One matrix product run on every backend: how long each took and how far each is from the
/// naive kernel (the specification).
public struct KernelComparison {
    public struct Result {
        /// `naive`, `simd`, `blas`.
        public let backend: String
        public let seconds: Double
        /// max |y − y_naive|.
        public let maxDifference: Float
    }

    /// The product's results, naive first; backends that cannot be made (no BLAS) are listed in `missing`.
    public let results: [Result]
    public let missing: [String]

    /// Runs y = x·Wᵀ for T rows of x on naive, SIMD and BLAS.   W: [rows, columns]  x: [T, columns]
    public init(weight w: WeightMatrix, input x: [Float], threads: Int = ThreadPool.coreCount) {
        let T = x.count / w.columns
        var backends: [any Backend] = [NaiveBackend(), SIMDBackend(threads: threads)]
        var missing: [String] = []
        if let blas = try? BLASBackend(threads: threads) { backends.append(blas) } else { missing.append("blas") }
        var reference: [Float] = []
        var results: [Result] = []
        for backend in backends {
            var y = [Float](repeating: 0, count: T * w.rows)
            let clock = ContinuousClock()
            let start = clock.now
            x.withUnsafeBufferPointer { input in
                y.withUnsafeMutableBufferPointer { output in
                    if T == 1 { backend.matVec(w, input, into: output) }
                    else { backend.matMul(w, input, count: T, into: output) }
                }
            }
            let elapsed = clock.now - start
            if reference.isEmpty { reference = y }
            let difference = zip(y, reference).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            results.append(Result(backend: backend.name, seconds: seconds, maxDifference: difference))
        }
        self.results = results
        self.missing = missing
    }

    /// A table: backend, time, speed-up over naive, max difference.
    public var text: String {
        let naive = results.first?.seconds ?? 1
        var lines = results.map { r in
            pad(r.backend, 7) + pad(String(format: "%9.3f ms", r.seconds * 1e3), 13)
                + pad(String(format: "×%.1f", naive / max(r.seconds, 1e-9)), 9)
                + "max |Δ| vs naive " + format(r.maxDifference)
        }
        for name in missing { lines.append(pad(name, 7) + "unavailable (no BLAS library found)") }
        return lines.joined(separator: "\n")
    }
}
