// Open MPI's C API (Debian libopenmpi-dev). Its handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, ...) are macros over the addresses of library globals, which Swift cannot
// import; these inline functions hand them over.
#include <mpi.h>

static inline MPI_Comm confit_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype confit_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype confit_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op confit_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op confit_mpi_max(void) { return MPI_MAX; }
static inline void *confit_mpi_in_place(void) { return MPI_IN_PLACE; }
