import COpenBLAS

#if canImport(Accelerate)
import Accelerate
#endif

/// The CBLAS library Loupe found, if any: Apple's Accelerate on Apple platforms, elsewhere
/// OpenBLAS loaded at run time by the `COpenBLAS` shim (see its header for why it is not
/// linked). Only the two routines Loupe needs, row-major, on Float.
public enum CBLAS {
    /// True when sgemm and sgemv can be called.
    public static var isAvailable: Bool {
        #if canImport(Accelerate)
        return true
        #else
        return loupe_blas_available() != 0
        #endif
    }

    /// The library in use (`Accelerate`, `libopenblas.so.0`, …), or nil.
    public static var libraryName: String? {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        return loupe_blas_library().map { String(cString: $0) }
        #endif
    }

    /// Why no library could be loaded.
    public static var loadError: String {
        #if canImport(Accelerate)
        return ""
        #else
        return loupe_blas_error().map { String(cString: $0) } ?? "unknown reason"
        #endif
    }

    /// Sets the library's own thread count; false when it has no such control.
    @discardableResult
    public static func setThreads(_ n: Int) -> Bool {
        #if canImport(Accelerate)
        return false
        #else
        return loupe_blas_set_threads(Int32(n)) != 0
        #endif
    }

    /// The library's own thread count, or nil when unknown.
    public static var threads: Int? {
        #if canImport(Accelerate)
        return nil
        #else
        let n = Int(loupe_blas_get_threads())
        return n > 0 ? n : nil
        #endif
    }

    /// C = A·Bᵀ: A: [m, k] (rows lda apart)  B: [n, k] (rows ldb apart)  -> C: [m, n] (rows ldc apart)
    public static func gemmABt(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
                        _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        #if canImport(Accelerate)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
        #else
        loupe_sgemm(0, 1, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
        #endif
    }

    /// C = A·B: A: [m, k]  B: [k, n]  -> C: [m, n], all packed (the benchmark's square sgemm).
    public static func gemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                     _ c: UnsafeMutablePointer<Float>) {
        #if canImport(Accelerate)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(k), b, Int32(n), 0, c, Int32(n))
        #else
        loupe_sgemm(0, 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
        #endif
    }

    /// y = A·x: A: [m, n] (rows lda apart)  x: [n]  -> y: [m]
    public static func gemv(m: Int, n: Int, _ a: UnsafePointer<Float>, lda: Int, _ x: UnsafePointer<Float>,
                     _ y: UnsafeMutablePointer<Float>) {
        #if canImport(Accelerate)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(lda), x, 1, 0, y, 1)
        #else
        loupe_sgemv(0, Int32(m), Int32(n), 1, a, Int32(lda), x, 1, 0, y, 1)
        #endif
    }
}
