// oneDNN's C API (Debian libdnnl-dev, 2.x) and the OpenMP calls of oneDNN's runtime
// (libgomp; omp.h is not on clang's path): the thread count, and GOMP_parallel, the entry
// point compilers emit for `#pragma omp parallel`, so that the few kernels written in
// Swift run on the same thread team as oneDNN's instead of competing with it.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_version.h>
#include <oneapi/dnnl/dnnl_debug.h>

void omp_set_num_threads(int);
int omp_get_max_threads(void);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
