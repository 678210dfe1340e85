// Measurements of the machine's multiply-add peak and memory bandwidth, the yardsticks for
// kernel benchmarks.
#pragma once

#include <cstdint>

namespace pybigml {

// Peak multiply-add throughput in GFLOP/s (one FMA = 2 flops) of get_num_threads() threads,
// each running independent fused multiply-adds on registers: float or double vectors of the
// width the kernels use (AVX2, or whatever the compiler makes of the portable path).
// Returns the best of `repeats` runs of roughly 20 ms each.
double measure_fma_peak_gflops(bool double_precision, int repeats);

// Sustained memory bandwidth in GB/s (1e9 bytes per second) of the two STREAM kernels.
struct StreamBandwidth {
  double copy_gbps;   // c[i] = a[i]: 16 bytes per element
  double triad_gbps;  // a[i] = b[i] + s * c[i]: 24 bytes per element
};

// Runs STREAM's copy and triad with get_num_threads() threads over three double arrays of
// `elements` each (choose 3 * 8 * elements bytes well above the last-level cache); returns
// the best of `repeats` timed rounds of each, after one untimed round.
StreamBandwidth measure_stream_bandwidth(int64_t elements, int repeats);

}  // namespace pybigml
