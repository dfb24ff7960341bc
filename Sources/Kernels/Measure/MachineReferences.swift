import Foundation

/// What this machine can do at best, measured in the same run as the kernels so that ratios
/// are meaningful: how fast memory can be streamed, and how fast it can multiply and add floats.
/// These are the two roofs of a roofline: a kernel that reads each weight once cannot beat the
/// first, one that reuses them cannot beat the second.
public enum MachineReferences {
    /// GB/s of summing a 128 MB buffer (4× a 32 MB L3) on `pool`'s threads, each thread reading
    /// its own contiguous part: the ceiling of any kernel that reads weights once from memory.
    /// Not larger: on a shared machine, a long call is almost always interrupted.
    public static func streamingRead(pool: ThreadPool) -> Double {
        let count = 32 << 20
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: count)
        let parts = pool.threadCount
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: parts)
        defer { sums.deallocate() }
        let seconds = Stopwatch.secondsPerCall(budget: 0.6, maxCalls: 40) {
            pool.parallelFor(parts) { p in
                let start = count / parts * p, end = p == parts - 1 ? count : count / parts * (p + 1)
                sums[p] = sumOf(buffer + start, end - start)
            }
        }
        return Double(count * 4) / seconds / 1e9
    }

    /// Σ p[0..<n], four SIMD16 accumulators so that the adds never wait on each other.
    @inline(never)
    static func sumOf(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        let raw = UnsafeRawPointer(p)
        var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
        var i = 0
        while i + 64 <= n {
            a += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            b += raw.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
            c += raw.loadUnaligned(fromByteOffset: i * 4 + 128, as: SIMD16<Float>.self)
            d += raw.loadUnaligned(fromByteOffset: i * 4 + 192, as: SIMD16<Float>.self)
            i += 64
        }
        return ((a + b) + (c + d)).sum()
    }

    /// GFLOP/s of float multiply-adds with nothing to wait for (no memory, 8 independent chains),
    /// on `pool`'s threads: the arithmetic ceiling of the float kernels. Measured with 8- and
    /// 16-float vectors and the faster kept, since which of the two fills the CPU's multiply-add
    /// units depends on the CPU (AVX2 has 8-float registers, AVX-512 16-float ones).
    public static func floatPeak(pool: ThreadPool) -> Double {
        let iterations = 1 << 16
        let sinks = UnsafeMutablePointer<Float>.allocate(capacity: pool.threadCount)
        defer { sinks.deallocate() }
        func rate<V: SIMD>(_: V.Type) -> Double where V.Scalar == Float {
            let seconds = Stopwatch.secondsPerCall(budget: 0.2, maxCalls: 200) {
                pool.parallelFor(pool.threadCount) { t in sinks[t] = multiplyAddChains(V.self, iterations) }
            }
            // 8 chains × 2 flops per lane per iteration, on every thread.
            return Double(pool.threadCount * iterations * 8 * 2 * V.scalarCount) / seconds / 1e9
        }
        return max(rate(SIMD8<Float>.self), rate(SIMD16<Float>.self))
    }

    /// `iterations` rounds of c = c·a + b on 8 independent vectors; returns a value that depends
    /// on all of them, so that none is optimized away. The values stay near b / (1 − a).
    @inline(never)
    static func multiplyAddChains<V: SIMD>(_: V.Type, _ iterations: Int) -> Float where V.Scalar == Float {
        let a = V(repeating: 0.999), b = V(repeating: 0.001)
        var c0 = V(repeating: 1), c1 = V(repeating: 2), c2 = V(repeating: 3), c3 = V(repeating: 4)
        var c4 = V(repeating: 5), c5 = V(repeating: 6), c6 = V(repeating: 7), c7 = V(repeating: 8)
        for _ in 0..<iterations {
            c0 = b.addingProduct(c0, a); c1 = b.addingProduct(c1, a)
            c2 = b.addingProduct(c2, a); c3 = b.addingProduct(c3, a)
            c4 = b.addingProduct(c4, a); c5 = b.addingProduct(c5, a)
            c6 = b.addingProduct(c6, a); c7 = b.addingProduct(c7, a)
        }
        return (((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7))).sum()
    }

    /// GFLOP/s of the BLAS library's sgemm on an n×n by n×n product, using `threads` of its own
    /// threads; nil when there is no BLAS. 512³ (0.27 GFLOP, a few ms): large enough for full
    /// speed, short enough to often run uninterrupted on a shared machine.
    public static func sgemmPeak(n: Int = 512, threads: Int) -> Double? {
        guard CBLAS.isAvailable else { return nil }
        let previous = CBLAS.threads
        CBLAS.setThreads(threads)
        defer { if let previous { CBLAS.setThreads(previous) } }
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<n * n {
            a[i] = Float(i % 7) * 0.1
            b[i] = Float(i % 5) * 0.1
        }
        let seconds = Stopwatch.secondsPerCall(budget: 1.0, maxCalls: 400) { CBLAS.gemm(m: n, n: n, k: n, a, b, c) }
        return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }
}
