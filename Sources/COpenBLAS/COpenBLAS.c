// See include/COpenBLAS.h for why CBLAS is loaded with dlopen.
#include "COpenBLAS.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

// CBLAS enum values (cblas.h), fixed by the CBLAS standard.
enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int,
                         float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static sgemv_fn sgemv;
static set_threads_fn set_threads;
static get_threads_fn get_threads;
static const char *loaded_name;
static const char *load_error = "no CBLAS library was looked for";
static char error_text[512];

// dlerror's text lives in a buffer the next dl call overwrites: keep a copy.
static void remember_error(const char *text) {
    size_t i = 0;
    for (; text != NULL && text[i] != 0 && i + 1 < sizeof error_text; i++) error_text[i] = text[i];
    error_text[i] = 0;
    load_error = error_text;
}

static void load(void) {
#if defined(__APPLE__)
    static const char *names[] = {"libopenblas.dylib", "libopenblas.0.dylib", NULL};
#else
    static const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libcblas.so.3", NULL};
#endif
    for (int i = 0; names[i] != NULL; i++) {
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) {
            remember_error(dlerror());
            continue;
        }
        sgemm_fn gemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
        sgemv_fn gemv = (sgemv_fn)dlsym(handle, "cblas_sgemv");
        if (gemm == NULL || gemv == NULL) {
            remember_error("library has no cblas_sgemm/cblas_sgemv");
            dlclose(handle);
            continue;
        }
        sgemm = gemm;
        sgemv = gemv;
        set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
        get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
        loaded_name = names[i];
        load_error = NULL;
        return;
    }
}

int loupe_blas_available(void) {
    pthread_once(&once, load);
    return sgemm != NULL;
}

const char *loupe_blas_library(void) {
    pthread_once(&once, load);
    return loaded_name;
}

const char *loupe_blas_error(void) {
    pthread_once(&once, load);
    return load_error;
}

void loupe_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (!loupe_blas_available()) return;
    sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha,
          a, lda, b, ldb, beta, c, ldc);
}

void loupe_sgemv(int trans, int m, int n, float alpha, const float *a, int lda,
                 const float *x, int incx, float beta, float *y, int incy) {
    if (!loupe_blas_available()) return;
    sgemv(RowMajor, trans ? Trans : NoTrans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

int loupe_blas_set_threads(int n) {
    if (!loupe_blas_available() || set_threads == NULL) return 0;
    set_threads(n);
    return 1;
}

int loupe_blas_get_threads(void) {
    if (!loupe_blas_available() || get_threads == NULL) return 0;
    return get_threads();
}
