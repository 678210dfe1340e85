// The machine's two yardsticks, against which kernels are benchmarked as a percentage.
//
// Peak FMA throughput: every thread runs kChains independent chains of fused multiply-adds
// on registers, enough to keep all FMA pipes busy despite their latency (two pipes with a
// 4-cycle latency need 8 in flight), with no memory traffic at all.
//
// Memory bandwidth, after McCalpin's STREAM: "copy" (c[i] = a[i]) and "triad"
// (a[i] = b[i] + s * c[i]) over double arrays much larger than the last-level cache, split
// into the same contiguous chunk per thread in every loop (schedule(static)), so that each
// thread touches first, and therefore owns on a NUMA machine, the pages it streams later.
// Bytes are counted as STREAM counts them: each array read or written once per element
// (copy 16 B, triad 24 B), not the extra read of a destination line that a write-allocate
// cache performs, so the figure is the bandwidth a kernel can use for its own data.
#include "pybigml/peak.h"

#include <omp.h>

#include <algorithm>
#include <memory>

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

// Sums a few elements so the compiler must keep the stores of the loops before it.
double checksum(const double* a, int64_t n) {
  double total = 0;
  for (int64_t i = 0; i < n; i += 4096) total += a[i];
  return total;
}

}  // namespace

double measure_fma_peak_gflops(bool double_precision, int repeats) {
  return double_precision ? measure<double>(repeats) : measure<float>(repeats);
}

StreamBandwidth measure_stream_bandwidth(int64_t elements, int repeats) {
  const int threads = get_num_threads();
  const int64_t n = elements;
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  double* pa = a.get();
  double* pb = b.get();
  double* pc = c.get();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    pa[i] = 1.0;
    pb[i] = 2.0;
    pc[i] = 0.0;
  }
  const double scalar = 3.0;
  const double bytes = static_cast<double>(n) * sizeof(double);
  StreamBandwidth best{0, 0};
  volatile double sink = 0;
  // One untimed round first: the pages are mapped and the threads are up to speed.
  for (int r = 0; r <= std::max(repeats, 1); ++r) {
    double start = omp_get_wtime();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) pc[i] = pa[i];
    const double copy_seconds = omp_get_wtime() - start;
    start = omp_get_wtime();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) pa[i] = pb[i] + scalar * pc[i];
    const double triad_seconds = omp_get_wtime() - start;
    sink = sink + checksum(pa, n) + checksum(pc, n);
    if (r == 0) continue;
    best.copy_gbps = std::max(best.copy_gbps, 2 * bytes / copy_seconds / 1e9);
    best.triad_gbps = std::max(best.triad_gbps, 3 * bytes / triad_seconds / 1e9);
  }
  return best;
}

}  // namespace pybigml
