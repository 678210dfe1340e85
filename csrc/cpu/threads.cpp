// The thread count shared by all CPU kernels. It is kept here rather than in OpenMP's
// per-thread state (omp_set_num_threads) so that it applies to calls from every Python thread.
#include "pybigml/threads.h"

#include <omp.h>

#include <atomic>
#include <stdexcept>
#include <string>

namespace pybigml {
namespace {

std::atomic<int> configured_threads{0};  // 0: never set, use OpenMP's default

}  // namespace

void set_num_threads(int n) {
  if (n < 1)
    throw std::invalid_argument("set_num_threads: expected n >= 1, got " + std::to_string(n));
  configured_threads.store(n);
}

int get_num_threads() {
  const int n = configured_threads.load();
  return n > 0 ? n : omp_get_max_threads();
}

}  // namespace pybigml
