import Kernels

/// One way of computing the kernels, and the reason it is in the table.
struct KernelVariant {
    let name: String
    let why: String
    let backend: any Backend
}

/// The variants compared, in the order of the lecture (llm.c's dev/ style: each version says
/// what it adds over the previous one).
func kernelVariants(pool: ThreadPool) -> [KernelVariant] {
    var variants = [
        KernelVariant(name: "naive", why: "v1, the specification: scalar loops, one block decoded per weight, one thread.",
                      backend: NaiveBackend()),
        KernelVariant(name: "simd", why: "v2: fused decode-and-dot on SIMD16 with independent accumulators (Q4_0/Q4_1: "
                      + "nibbles masked in place and converted, two rows per pass), rows over "
                      + "\(pool.threadCount) threads; batches: x packed in 16-token panels, weights decoded "
                      + "48 rows at a time, 16×6 register-tiled GEMM.",
                      backend: SIMDBackend(pool: pool)),
    ]
    variants.append(KernelVariant(
        name: "simd-q8", why: "v2b: like simd, but x rounded to int8 per 16 (like llama.cpp's Q8 activations) and "
        + "the weights' codes multiplied with vpmaddubsw/vpmaddwd (32 products per instruction), one token at a time.",
        backend: SIMDBackend(pool: pool, activations: .int8)))
    if let blas = try? BLASBackend(pool: pool) {
        variants.append(KernelVariant(
            name: "blas", why: "v3: tiles of up to 384 rows (a whole number per thread) decoded into a scratch, then "
            + "\(CBLAS.libraryName ?? "BLAS") sgemv/sgemm (1 library thread per tile, tiles over \(pool.threadCount) threads).", backend: blas))
    }
    return variants
}
