import Foundation
import GGUF
import Kernels

/// `loupe-benchmarks kernels`: every kernel on SmolLM2's shapes, each variant first checked
/// against the naive one, then timed, with the machine's own ceilings measured in the same run.
enum KernelBenchmark {
    /// SmolLM2-135M's weight shapes as [rows, columns] = [outputs, inputs]: attention q/o,
    /// k/v, FFN gate/up, FFN down, and the output (tied embedding) matrix.
    static let shapes: [(rows: Int, columns: Int)] = [(576, 576), (192, 576), (1536, 576), (576, 1536), (49152, 576)]
    /// SmolLM2's and Gemma 3's types first, then the rest.
    static let mainTypes: [GGMLType] = [.f32, .f16, .q8_0, .q4_1, .q4_K, .q6_K]
    static let otherTypes: [GGMLType] = [.bf16, .q4_0, .q5_0, .q5_1, .q2_K, .q3_K, .q5_K]
    /// Token counts: decoding one token, and a prompt of 128.
    static let batches = [1, 128]
    /// Naive batches are timed on this many tokens and scaled: its matMul is one matVec per
    /// token, so its time is exactly linear in the count.
    static let naiveTokens = 8

    static func run(_ arguments: ArraySlice<String>) throws {
        let options = try BenchmarkOptions(arguments, defaultThreads: ThreadPool.coreCount)
        let pool = ThreadPool(threads: options.threads)
        let started = Date()
        print("# Loupe kernel benchmark")
        print("")
        print("threads: \(pool.threadCount) of \(ThreadPool.coreCount) cores; BLAS: \(CBLAS.libraryName ?? "unavailable (\(CBLAS.loadError))")")
        print("")

        // Ceilings first, with the BLAS library's own threads, before the BLAS backend asks it for one.
        let stream1 = MachineReferences.streamingRead(pool: ThreadPool(threads: 1))
        let streamN = MachineReferences.streamingRead(pool: pool)
        let peak1 = MachineReferences.sgemmPeak(threads: 1)
        let peakN = MachineReferences.sgemmPeak(threads: pool.threadCount)
        // On a loaded machine the library's own threads can lose to one thread: take the best.
        let peak = [peak1, peakN].compactMap { $0 }.max()
        print("## Machine references (same run)")
        print("")
        print("| reference | value |")
        print("|---|---|")
        print("| streaming read of 128 MB, 1 thread | \(formatted(stream1)) GB/s |")
        print("| streaming read of 128 MB, \(pool.threadCount) threads | \(formatted(streamN)) GB/s |")
        if let peak1 { print("| \(CBLAS.libraryName ?? "BLAS") sgemm 512³, 1 thread | \(formatted(peak1)) GFLOP/s |") }
        if let peakN { print("| \(CBLAS.libraryName ?? "BLAS") sgemm 512³, \(pool.threadCount) threads | \(formatted(peakN)) GFLOP/s |") }
        print("")

        let variants = kernelVariants(pool: pool)
        var results: [Case: Double] = [:]
        print("## Variants")
        print("")
        for v in variants { print("- **\(v.name)** — \(v.why)") }
        print("")

        print("## Matrix products")
        print("")
        print("W: [rows, columns] in the given type; x: [batch, columns] floats. GFLOP/s counts 2·rows·columns·batch; "
              + "GB/s is the weight bytes over the time (weights are read once per call); × naive is the speedup; "
              + "error is max |Δ| / max |naive| on the first \(naiveTokens) tokens. Naive batches of 128 are timed on "
              + "\(naiveTokens) tokens and scaled.")
        print("")
        print("| W type | rows×columns | batch | variant | time | GFLOP/s | GB/s | × naive | error |")
        print("|---|---|---|---|---:|---:|---:|---:|---:|")
        var types = options.quick ? [GGMLType.f32, .q8_0, .q4_1] : mainTypes + otherTypes
        if let names = options.types {
            types = try names.map { name in
                guard let type = GGMLType(name: name), type.isComputable else { throw BenchmarkUsageError("unknown or uncomputable type \(name)") }
                return type
            }
        }
        for type in types {
            for shape in shapes {
                // K-quants need whole 256-weight blocks per row: only the 1536-column shape has them.
                if shape.columns % type.blockSize != 0 { continue }
                if shape.rows == 49152 && !(type == .q4_1 || type == .q8_0) { continue }
                if otherTypes.contains(type) && shape != (576, 1536) { continue }
                let w = BenchmarkMatrix(type: type, rows: shape.rows, columns: shape.columns, seed: UInt64(shape.rows + shape.columns))
                for batch in batches {
                    for (variant, seconds) in productRows(w.matrix, batch: batch, variants: variants) {
                        results[Case(type: type, rows: shape.rows, columns: shape.columns, batch: batch, variant: variant)] = seconds
                    }
                }
            }
        }
        print("")
        goals(results, streaming: max(stream1, streamN), sgemmPeak: peak)
        elementwise(variants: variants)
        threadPoolLatency(pool: pool)
        print("total benchmark time: \(formatted(Date().timeIntervalSince(started), 1)) s")
    }

    /// One timed product.
    struct Case: Hashable {
        let type: GGMLType, rows: Int, columns: Int, batch: Int, variant: String
    }

    /// The issue's speed goals, as ratios from this run, against the best of the 1- and N-thread
    /// references (on a loaded machine either can be the higher).
    static func goals(_ results: [Case: Double], streaming: Double, sgemmPeak: Double?) {
        print("## Goals (ratios from this run)")
        print("")
        print("| goal | measured | met |")
        print("|---|---:|---|")
        func row(_ goal: String, _ value: Double?, _ target: Double, percent: Bool = false) {
            guard let value else { return }
            let text = percent ? formatted(value * 100, 0) + " %" : formatted(value, 1) + "×"
            print("| \(goal) | \(text) | \(value >= target ? "yes" : "no") |")
        }
        for type in [GGMLType.q4_1, .q8_0] {
            let key = { (v: String) in Case(type: type, rows: 1536, columns: 576, batch: 1, variant: v) }
            guard let naive = results[key("naive")], let simd = results[key("simd")] else { continue }
            let w = 1536 * 576 / type.blockSize * type.bytesPerBlock
            row("\(type) matVec 1536×576: simd ≥ 20× naive", naive / simd, 20)
            row("\(type) matVec 1536×576: simd reads weights ≥ 40 % of streaming read", Double(w) / simd / 1e9 / streaming, 0.4, percent: true)
        }
        if let sgemmPeak {
            let flops = 2.0 * 576 * 1536 * 128
            let key = { (v: String) in Case(type: .f32, rows: 576, columns: 1536, batch: 128, variant: v) }
            if let blas = results[key("blas")] { row("F32 matMul 576×1536 by 128: blas ≥ 50 % of sgemm peak", flops / blas / 1e9 / sgemmPeak, 0.5, percent: true) }
            if let simd = results[key("simd")] { row("F32 matMul 576×1536 by 128: simd ≥ 25 % of sgemm peak", flops / simd / 1e9 / sgemmPeak, 0.25, percent: true) }
        }
        print("")
    }

    /// Times `w` against a batch on every variant, prints one table row per variant and returns
    /// the seconds per call of each.
    static func productRows(_ w: WeightMatrix, batch: Int, variants: [KernelVariant]) -> [(String, Double)] {
        var times: [(String, Double)] = []
        let x = randomFloats(batch * w.columns, seed: UInt64(batch))
        var y = [Float](repeating: 0, count: batch * w.rows)
        let checked = min(batch, naiveTokens)
        var reference = [Float](repeating: 0, count: checked * w.rows)
        var naiveSeconds = Double.nan
        let flops = 2 * Double(w.rows) * Double(w.columns) * Double(batch)
        let bytes = Double(w.rows * w.rowBytes)
        x.withUnsafeBufferPointer { xs in
            let xChecked = UnsafeBufferPointer(rebasing: xs[0..<checked * w.columns])
            reference.withUnsafeMutableBufferPointer { NaiveBackend().matMul(w, xChecked, count: checked, into: $0) }
            for v in variants {
                let isNaive = v.backend is NaiveBackend
                let count = isNaive ? checked : batch
                let seconds = y.withUnsafeMutableBufferPointer { ys in
                    Stopwatch.secondsPerCall(budget: isNaive ? 0.05 : 0.1) {
                        if count == 1 { v.backend.matVec(w, xs, into: ys) } else { v.backend.matMul(w, xs, count: count, into: ys) }
                    }
                } * Double(batch) / Double(count)
                if isNaive { naiveSeconds = seconds }
                times.append((v.name, seconds))
                let error = maxRelativeError(Array(y[0..<checked * w.rows]), reference)
                let row = ["\(w.type)", "\(w.rows)×\(w.columns)", "\(batch)", v.name, formattedTime(seconds),
                           formatted(flops / seconds / 1e9, 2), formatted(bytes / seconds / 1e9, 2),
                           formatted(naiveSeconds / seconds, 1), String(format: "%.1e", error)]
                print("| " + row.joined(separator: " | ") + " |")
            }
        }
        return times
    }

    /// The element-wise operations of one SmolLM2 layer's sizes, per variant.
    static func elementwise(variants: [KernelVariant]) {
        print("## Element-wise operations")
        print("")
        print("| operation | n | " + variants.map(\.name).joined(separator: " | ") + " | error (worst) |")
        print("|---|---:|" + String(repeating: "---:|", count: variants.count) + "---:|")
        let n = 1536
        let a = randomFloats(n, seed: 1), b = randomFloats(n, seed: 2)
        let rope = RoPEConfig(dimensions: 64, freqBase: 100_000, style: .normal)
        typealias Op = (any Backend, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
        let ops: [(String, Int, Op)] = [
            ("rmsNorm", 576, { be, out, a, b in be.rmsNorm(a, weight: b, epsilon: 1e-5, into: out) }),
            ("rope (9 heads × 64)", 576, { be, out, _, _ in be.rope(out, heads: 9, headDim: 64, position: 100, config: rope) }),
            ("softmax (causal, 1024 of 1536)", 1536, { be, out, _, _ in be.softmax(out, validCount: 1024) }),
            ("silu", 1536, { be, out, _, _ in be.silu(out) }),
            ("gelu", 1536, { be, out, _, _ in be.gelu(out) }),
            ("add", 1536, { be, out, a, b in be.add(a, b, into: out) }),
            ("mul", 1536, { be, out, a, b in be.mul(a, b, into: out) }),
            ("axpy", 64, { be, out, a, _ in be.axpy(0.5, UnsafeBufferPointer(rebasing: a[0..<64]), out) }),
            ("dot", 64, { be, out, a, b in out[0] = be.dot(UnsafeBufferPointer(rebasing: a[0..<64]), UnsafeBufferPointer(rebasing: b[0..<64])) }),
        ]
        for (name, size, op) in ops {
            var results: [[Float]] = []
            var cells: [String] = []
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    let ap = UnsafeBufferPointer(rebasing: ap[0..<size]), bp = UnsafeBufferPointer(rebasing: bp[0..<size])
                    for v in variants {
                        var out = Array(a[0..<size])
                        out.withUnsafeMutableBufferPointer { op(v.backend, $0, ap, bp) }
                        results.append(out)
                        var scratch = Array(a[0..<size])
                        let seconds = scratch.withUnsafeMutableBufferPointer { s in
                            Stopwatch.secondsPerCall(budget: 0.03) {
                                // In-place operations run on data they already changed: same cost.
                                op(v.backend, s, ap, bp)
                            }
                        }
                        cells.append(formattedTime(seconds))
                    }
                }
            }
            let worst = results.dropFirst().map { maxRelativeError($0, results[0]) }.max() ?? 0
            print("| \(name) | \(size) | " + cells.joined(separator: " | ") + " | " + String(format: "%.1e", worst) + " |")
        }
        print("")
    }

    /// The fixed cost every parallel product pays, and whether Loupe's own workers are worth
    /// having: an empty loop, and the smallest and a middle-sized product of SmolLM2, with the
    /// pool's spinning workers and with Dispatch's concurrentPerform.
    static func threadPoolLatency(pool: ThreadPool) {
        print("## Thread hand-off: ThreadPool workers vs Dispatch (\(pool.threadCount) threads)")
        print("")
        let dispatch = ThreadPool(threads: pool.threadCount, mechanism: .dispatch)
        let chunks = pool.threadCount
        print("| loop | ThreadPool workers | DispatchQueue.concurrentPerform |")
        print("|---|---:|---:|")
        let empty = [pool, dispatch].map { p in Stopwatch.secondsPerCall(budget: 0.1) { p.parallelFor(chunks) { _ in } } }
        print("| empty loop of \(chunks) chunks | \(formattedTime(empty[0])) | \(formattedTime(empty[1])) |")
        for (rows, columns) in [(192, 576), (1536, 576)] {
            let w = BenchmarkMatrix(type: .q4_1, rows: rows, columns: columns, seed: 5)
            let x = randomFloats(columns, seed: 6)
            var y = [Float](repeating: 0, count: rows)
            let times = [pool, dispatch].map { p in
                let backend = SIMDBackend(pool: p)
                return x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { ys in
                        Stopwatch.secondsPerCall(budget: 0.1) { backend.matVec(w.matrix, xs, into: ys) }
                    }
                }
            }
            print("| simd matVec Q4_1 \(rows)×\(columns) | \(formattedTime(times[0])) | \(formattedTime(times[1])) |")
        }
        print("")
    }

    /// max |a − b| / max |b|.
    static func maxRelativeError(_ a: [Float], _ b: [Float]) -> Double {
        var worst: Float = 0, scale: Float = 0
        for i in 0..<min(a.count, b.count) {
            worst = max(worst, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        if worst.isNaN { return .infinity }
        return Double(scale == 0 ? worst : worst / scale)
    }
}

/// n floats uniform in [-1, 1] from a seeded SplitMix64.
func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<n).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }
}

/// A weight matrix of random values quantized with the naive quantizers, owning its bytes.
final class BenchmarkMatrix {
    let bytes: UnsafeMutableRawPointer
    let matrix: WeightMatrix

    init(type: GGMLType, rows: Int, columns: Int, seed: UInt64) {
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
        let rowsPerBatch = 1024
        for r0 in stride(from: 0, to: rows, by: rowsPerBatch) {
            let n = min(rowsPerBatch, rows - r0)
            let values = randomFloats(n * columns, seed: seed &+ UInt64(r0))
            values.withUnsafeBufferPointer { v in
                for r in 0..<n {
                    quantizeRow(type: type, from: v.baseAddress! + r * columns, count: columns,
                                into: bytes + (r0 + r) * rowBytes)
                }
            }
        }
        self.bytes = bytes
        matrix = WeightMatrix(name: "bench.\(type)", type: type, rows: rows, columns: columns, data: bytes)
    }

    deinit { bytes.deallocate() }
}
