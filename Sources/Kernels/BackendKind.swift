import GGUF

/// Why a backend could not be made.
public enum BackendError: Error, CustomStringConvertible, Equatable {
    /// `blas` was asked for, but no CBLAS library could be loaded.
    case blasUnavailable(reason: String)
    /// The name is none of `naive`, `simd`, `simd-q8`, `blas`, `auto`.
    case unknownBackend(String)
    /// A thread count below 1.
    case invalidThreadCount(Int)

    public var description: String {
        switch self {
        case .blasUnavailable(let reason):
            return "backend 'blas' is unavailable: no OpenBLAS library could be loaded (\(reason)). "
                + "Install OpenBLAS (Debian/Ubuntu: apt install libopenblas0) or use --backend simd."
        case .unknownBackend(let name):
            return "unknown backend '\(name)'; choose one of "
                + BackendKind.allCases.map(\.rawValue).joined(separator: ", ")
        case .invalidThreadCount(let n):
            return "thread count must be at least 1, got \(n)"
        }
    }
}

/// The backends a user can choose by name (`--backend naive|simd|simd-q8|blas|auto`).
public enum BackendKind: String, CaseIterable, Sendable {
    /// The specification: scalar loops, one thread.
    case naive
    /// Pure Swift SIMD on a thread pool.
    case simd
    /// The SIMD backend with activations rounded to int8 in matrix-vector products, as
    /// llama.cpp does: faster, slightly less exact.
    case simdQ8 = "simd-q8"
    /// BLAS (OpenBLAS or Accelerate) for matrix products, on decoded tiles.
    case blas
    /// The fastest: `simd-q8` for one to three tokens, the float SIMD GEMM for batches.
    /// See `AutoBackend`.
    case auto

    /// The kind named `name` (case-insensitive), or `BackendError.unknownBackend`.
    public init(name: String) throws {
        guard let kind = BackendKind(rawValue: name.lowercased()) else { throw BackendError.unknownBackend(name) }
        self = kind
    }

    /// A backend of this kind running matrix products on `threads` threads (default: all cores;
    /// the naive backend always uses one).
    public func makeBackend(threads: Int = ThreadPool.coreCount) throws -> any Backend {
        guard threads >= 1 else { throw BackendError.invalidThreadCount(threads) }
        switch self {
        case .naive: return NaiveBackend()
        case .simd: return SIMDBackend(threads: threads)
        case .simdQ8: return SIMDBackend(threads: threads, activations: .int8)
        case .blas: return try BLASBackend(threads: threads)
        case .auto: return AutoBackend(pool: ThreadPool(threads: threads))
        }
    }
}
