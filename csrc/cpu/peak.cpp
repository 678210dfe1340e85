// Peak FMA throughput: every thread runs kChains independent chains of fused multiply-adds
// on registers, enough to keep all FMA pipes busy despite their latency (two pipes with a
// 4-cycle latency need 8 in flight), with no memory traffic at all. Kernels are benchmarked
// as a percentage of this number.
#include "pybigml/peak.h"

#include <omp.h>

#include <algorithm>

#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace pybigml {
namespace {

constexpr int kChains = 12;
constexpr int64_t kIterations = 4'000'000;

#ifdef PYBIGML_HAVE_AVX2_FMA

template <typename T>
constexpr int kLanes = simd::Vec<T>::kLanes;

// Runs kIterations steps of x = x * scale + shift on kChains vectors; returns a value that
// depends on every chain, so the compiler cannot drop the work.
template <typename T>
T fma_chains(T seed) {
  using V = simd::Vec<T>;
  typename V::Reg chain[kChains];
  for (int i = 0; i < kChains; ++i) chain[i] = V::broadcast(seed + T(i));
  const auto scale = V::broadcast(T(0.999999));
  const auto shift = V::broadcast(T(1e-6));
  for (int64_t step = 0; step < kIterations; ++step) {
    for (int i = 0; i < kChains; ++i) chain[i] = V::fma(chain[i], scale, shift);
  }
  auto total = chain[0];
  for (int i = 1; i < kChains; ++i) total = V::add(total, chain[i]);
  alignas(32) T lanes[V::kLanes];
  V::store(lanes, total);
  return lanes[0];
}

#else

// Portable version: the same chains on 8 scalars each, which the compiler may vectorise.
template <typename T>
constexpr int kLanes = 8;

template <typename T>
T fma_chains(T seed) {
  T chain[kChains][kLanes<T>];
  for (int i = 0; i < kChains; ++i) std::fill(chain[i], chain[i] + kLanes<T>, seed + T(i));
  for (int64_t step = 0; step < kIterations; ++step) {
    for (int i = 0; i < kChains; ++i) {
      for (int l = 0; l < kLanes<T>; ++l) chain[i][l] = chain[i][l] * T(0.999999) + T(1e-6);
    }
  }
  T total = 0;
  for (int i = 0; i < kChains; ++i) total += chain[i][0];
  return total;
}

#endif  // PYBIGML_HAVE_AVX2_FMA

template <typename T>
double measure(int repeats) {
  const int threads = get_num_threads();
  const double flops_per_thread = 2.0 * kIterations * kChains * kLanes<T>;
  double best = 0;
  volatile T sink = 0;  // keeps the results alive
  for (int r = 0; r < std::max(repeats, 1); ++r) {
    const double start = omp_get_wtime();
    int team_size = 1;
#pragma omp parallel num_threads(threads)
    {
      const T result = fma_chains(static_cast<T>(omp_get_thread_num()));
#pragma omp critical
      sink = sink + result;
#pragma omp single
      team_size = omp_get_num_threads();
    }
    const double seconds = omp_get_wtime() - start;
    best = std::max(best, team_size * flops_per_thread / seconds / 1e9);
  }
  return best;
}

}  // namespace

double measure_fma_peak_gflops(bool double_precision, int repeats) {
  return double_precision ? measure<double>(repeats) : measure<float>(repeats);
}

}  // namespace pybigml
