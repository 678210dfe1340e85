// The number of OpenMP threads every pybigml CPU kernel uses.
#pragma once

namespace pybigml {

// Sets the thread count of later kernel calls; n must be at least 1.
void set_num_threads(int n);

// The thread count kernels use: the last set_num_threads() value, or OpenMP's default
// (OMP_NUM_THREADS or the number of cores) if it was never called.
int get_num_threads();

}  // namespace pybigml
