import Foundation
import Kernels

/// What this machine can do at best, measured in the same run as the kernels so that ratios
/// are meaningful: how fast memory can be streamed, and how fast the BLAS library multiplies
/// large float matrices.
enum MachineReferences {
    /// GB/s of summing a 128 MB buffer (4× the 32 MB L3 here) on `pool`'s threads, each
    /// thread reading its own contiguous part: the ceiling of any kernel that reads weights once.
    /// Not larger: on a shared machine, a long call is almost always interrupted.
    static func streamingRead(pool: ThreadPool) -> Double {
        let count = 32 << 20
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: count)
        let parts = pool.threadCount
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: parts)
        defer { sums.deallocate() }
        let seconds = secondsPerCall(budget: 0.6, maxCalls: 40) {
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

    /// GFLOP/s of the BLAS library's sgemm on an n×n by n×n product, using `threads` of its own
    /// threads; nil when there is no BLAS. 512³ (0.27 GFLOP, a few ms): large enough for full
    /// speed, short enough to often run uninterrupted on a shared machine.
    static func sgemmPeak(n: Int = 512, threads: Int) -> Double? {
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
        let seconds = secondsPerCall(budget: 1.0, maxCalls: 400) { CBLAS.gemm(m: n, n: n, k: n, a, b, c) }
        return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }
}
