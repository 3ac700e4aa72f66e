// oneDNN's C API (Debian libdnnl-dev, 2.x) and the two OpenMP calls used to set the
// thread count of oneDNN's OpenMP runtime (libgomp; omp.h is not on clang's path).
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_version.h>
#include <oneapi/dnnl/dnnl_debug.h>

void omp_set_num_threads(int);
int omp_get_max_threads(void);
