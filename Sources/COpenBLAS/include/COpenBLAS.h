// COpenBLAS: finds a CBLAS library at run time instead of link time.
//
// Why dlopen and not `-lopenblas`: Loupe must build and run on a student's laptop that has no
// OpenBLAS. Linking would make the whole package (naive and SIMD backends included) fail to
// build or to start there. Loading `libopenblas.so.0` (then `libopenblas.so`, `libcblas.so.3`)
// on first use lets every backend but `blas` work everywhere, and `blas` say clearly that it is
// unavailable. Only the three entry points Loupe needs are looked up.
#ifndef LOUPE_COPENBLAS_H
#define LOUPE_COPENBLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when a CBLAS library with sgemm and sgemv was found and loaded, else 0. Thread-safe; the
/// library is looked for once, on the first call of any function here.
int loupe_blas_available(void);

/// The file name of the library that was loaded, or NULL.
const char *loupe_blas_library(void);

/// Why no library was loaded (the last dlopen/dlsym error), or NULL when one was.
const char *loupe_blas_error(void);

/// Row-major C = alpha·op(A)·op(B) + beta·C, as cblas_sgemm with CblasRowMajor.
/// transA / transB: 0 = as stored, 1 = transposed. A: [m, k] (or [k, m] if transA),
/// B: [k, n] (or [n, k] if transB), C: [m, n]. Does nothing when BLAS is unavailable.
void loupe_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Row-major y = alpha·op(A)·x + beta·y, as cblas_sgemv with CblasRowMajor.
/// A: [m, n]; trans 0: x [n] -> y [m]; trans 1: x [m] -> y [n]. Does nothing when unavailable.
void loupe_sgemv(int trans, int m, int n, float alpha, const float *a, int lda,
                 const float *x, int incx, float beta, float *y, int incy);

/// Sets the library's own thread count (openblas_set_num_threads) when it has one.
/// Returns 1 if the library took it, 0 if it has no such control.
int loupe_blas_set_threads(int n);

/// The library's thread count (openblas_get_num_threads), or 0 when unknown.
int loupe_blas_get_threads(void);

#ifdef __cplusplus
}
#endif

#endif
