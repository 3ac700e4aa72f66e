// LAPACK through LAPACKE and the double-precision BLAS through CBLAS, both from Debian's
// OpenBLAS (libopenblas-dev, liblapacke-dev): the closed-form heads (RanPAC's ridge
// regression, FSA's LDA) solve symmetric positive-definite systems in float64.
#include <lapacke.h>
#include <cblas.h>

void openblas_set_num_threads(int);
