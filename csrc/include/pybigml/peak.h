// A measurement of the machine's multiply-add peak, the yardstick for kernel benchmarks.
#pragma once

namespace pybigml {

// Peak multiply-add throughput in GFLOP/s (one FMA = 2 flops) of get_num_threads() threads,
// each running independent fused multiply-adds on registers: float or double vectors of the
// width the kernels use (AVX2, or whatever the compiler makes of the portable path).
// Returns the best of `repeats` runs of roughly 20 ms each.
double measure_fma_peak_gflops(bool double_precision, int repeats);

}  // namespace pybigml
