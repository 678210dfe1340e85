// Reductions on the CPU: sum/mean/max/min/argmax/argmin, softmax/log_softmax/logsumexp,
// layer norm, fused cross-entropy and the embedding gradient (see pybigml/reduce.h).
//
// Bound. Every kernel here does O(1) arithmetic per element it reads, so its speed limit is
// memory bandwidth, not the FMA units: the aim is to touch each byte of the input and output
// once (~14 GB/s on the 2-core machines pybigml is tuned on). The shape of every kernel
// follows from that:
//
//   * Row kernels (softmax along the last dim, layer norm, cross-entropy): a row of a few
//     thousand values fits in L1/L2, so the 2-3 passes over it (max, exp-and-sum, scale)
//     cost one read of x from memory and one write of y. The exp is an AVX2 polynomial (8 at
//     a time, ~1 ulp), so the exp pass runs at L1 speed instead of ~20 cycles per libm call.
//   * Middle-axis kernels (a dim with a stride > 1): a block of up to kColumns columns is
//     carried down the axis with one running value per column in a small buffer, so the
//     loads are contiguous and vectorise across columns.
//   * Threads split rows, or (outer, column block) tasks, statically: no barrier inside a
//     kernel (a descheduled partner on a shared machine would stall the other core), and
//     calls below kMinWorkPerThread elements per thread stay on one thread.
//
// Accuracy. float sums accumulate in double: the relative error of a sum of n floats is at
// most n * 2^-53 * sum|x| / |sum x| before the final rounding to float, i.e. below one float
// ulp for n < 2^29 well-conditioned values (numpy's pairwise float sum: ~log2(n) * 2^-24).
// double sums are pairwise over blocks of kPairwiseBlock (as numpy's): at most about
// (kPairwiseBlock / lanes + log2(n)) * 2^-53 * sum|x|. Softmax-family sums of exp() values and
// layer-norm statistics also accumulate in double.
//
// Every fast kernel has a plain *_reference version below it: single-threaded, scalar, libm
// exp, long double accumulation. The tests compare the two.
#include "pybigml/reduce.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace pybigml {
namespace {

// Below this many elements of work per thread, extra threads cost more than they save.
constexpr int64_t kMinWorkPerThread = 1 << 15;
// Width of a column block in the middle-axis kernels: its running values (a few KiB) stay in
// L1 while the block's rows stream past.
constexpr int64_t kColumns = 256;
// Leaf size of the pairwise double sum.
constexpr int64_t kPairwiseBlock = 128;

// The number of threads for `tasks` independent tasks of `work_per_task` elements each.
int thread_count(int64_t tasks, int64_t work_per_task) {
  const int64_t by_work = tasks * std::max<int64_t>(work_per_task, 1) / kMinWorkPerThread;
  return static_cast<int>(std::clamp<int64_t>(std::min(by_work, tasks), 1, get_num_threads()));
}

// Runs body(thread, begin, end) on `threads` threads, each given a contiguous share of
// [0, tasks). No barrier other than the end of the region.
template <typename Body>
void run_split(int threads, int64_t tasks, const Body& body) {
  if (threads <= 1) {
    body(0, int64_t{0}, tasks);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t team = omp_get_num_threads();
    const int64_t t = omp_get_thread_num();
    const int64_t begin = tasks * t / team;
    const int64_t end = tasks * (t + 1) / team;
    if (begin < end) body(static_cast<int>(t), begin, end);
  }
}

// run_split with the thread count chosen from the work.
template <typename Body>
void parallel_for(int64_t tasks, int64_t work_per_task, const Body& body) {
  run_split(thread_count(tasks, work_per_task), tasks,
            [&](int, int64_t begin, int64_t end) { body(begin, end); });
}

// ------------------------------------------------------------------------------- row helpers
// sum of x[0..n) in double. float: each value is exact in double (see the accuracy note);
// double: pairwise over blocks.
double row_sum(const float* x, int64_t n) {
  double s = 0.0;
  int64_t i = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  // four independent double accumulators: one would wait on the add latency every 4 values
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                    _mm256_setzero_pd()};
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 4; ++j) {
      acc[j] = _mm256_add_pd(acc[j], _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4 * j)));
    }
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes,
                  _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3])));
  s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
  for (; i < n; ++i) s += x[i];
  return s;
}

double row_sum(const double* x, int64_t n) {
  if (n <= kPairwiseBlock) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  const int64_t half = n / 2;
  return row_sum(x, half) + row_sum(x + half, n - half);
}

// The max (kMax) or min of x[0..n): NaN if some x is NaN; -inf (+inf) for n == 0.
template <ReduceOp op, typename T>
T row_extreme(const T* x, int64_t n) {
  static_assert(op == ReduceOp::kMax || op == ReduceOp::kMin);
  constexpr T kInf = std::numeric_limits<T>::infinity();
  T m = op == ReduceOp::kMax ? -kInf : kInf;
  int has_nan = 0;
  int64_t i = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  if constexpr (std::is_same_v<T, float>) {
    // four independent accumulators hide the latency of max/min; NaNs are tracked apart
    // because max_ps/min_ps drop a NaN in their first operand
    __m256 acc[4] = {_mm256_set1_ps(m), _mm256_set1_ps(m), _mm256_set1_ps(m), _mm256_set1_ps(m)};
    __m256 nan = _mm256_setzero_ps();
    for (; i + 32 <= n; i += 32) {
      for (int j = 0; j < 4; ++j) {
        const __m256 v = _mm256_loadu_ps(x + i + 8 * j);
        acc[j] = op == ReduceOp::kMax ? _mm256_max_ps(acc[j], v) : _mm256_min_ps(acc[j], v);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      }
    }
    alignas(32) float lanes[8];
    for (int j = 1; j < 4; ++j) {
      acc[0] = op == ReduceOp::kMax ? _mm256_max_ps(acc[0], acc[j]) : _mm256_min_ps(acc[0], acc[j]);
    }
    _mm256_store_ps(lanes, acc[0]);
    for (const float lane : lanes) m = op == ReduceOp::kMax ? std::max(m, lane) : std::min(m, lane);
    has_nan = _mm256_movemask_ps(nan) != 0;
  }
#endif
  for (; i < n; ++i) {
    m = op == ReduceOp::kMax ? std::max(m, x[i]) : std::min(m, x[i]);
    has_nan |= x[i] != x[i];
  }
  return has_nan ? std::numeric_limits<T>::quiet_NaN() : m;
}

#ifdef PYBIGML_HAVE_AVX2_FMA
// e^x for 8 floats, within ~1 ulp over the whole float range (denormal results included).
// x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two so that n ln2 is exact to ~2^-32), e^r by
// a degree-7 polynomial (Cephes' minimax coefficients for expf), then scaled by 2^n as
// 2^(n/2) 2^(n - n/2), both normal floats even where 2^n alone would not be. NaN stays NaN,
// -inf gives 0, large x gives inf.
inline __m256 exp8(__m256 x) {
  // min/max return their second operand when one is NaN: x goes second so a NaN passes.
  x = _mm256_min_ps(_mm256_set1_ps(88.7228394f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-103.972084f), x);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i half = _mm256_srai_epi32(ni, 1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 scale_a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, bias), 23));
  const __m256 scale_b = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, scale_a), scale_b);
}

// The first `count` lanes (0..8) selected, for masked loads and stores of a row's tail.
inline __m256i lane_mask(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Adds the 8 floats of v to two double accumulators.
inline void add_to_double(__m256 v, __m256d& low, __m256d& high) {
  low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline double horizontal_sum(__m256d v) {
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, v);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}
#endif

// y[i] = exp(x[i] - shift) (y may be x, or null: not stored); returns sum of those, in double.
double exp_sum(const float* x, float* y, int64_t n, float shift) {
#ifdef PYBIGML_HAVE_AVX2_FMA
  const __m256 s = _mm256_set1_ps(shift);
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                    _mm256_setzero_pd()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    const __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s));
    if (y != nullptr) {
      _mm256_storeu_ps(y + i, e0);
      _mm256_storeu_ps(y + i + 8, e1);
    }
    add_to_double(e0, acc[0], acc[1]);
    add_to_double(e1, acc[2], acc[3]);
  }
  for (; i < n; i += 8) {
    const __m256i mask = lane_mask(n - i);
    __m256 e = exp8(_mm256_sub_ps(_mm256_maskload_ps(x + i, mask), s));
    e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));  // lanes past the end add nothing
    if (y != nullptr) _mm256_maskstore_ps(y + i, mask, e);
    add_to_double(e, acc[0], acc[1]);
  }
  return horizontal_sum(
      _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3])));
#else
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - shift);
    if (y != nullptr) y[i] = e;
    sum += e;
  }
  return sum;
#endif
}

double exp_sum(const double* x, double* y, int64_t n, double shift) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::exp(x[i] - shift);
    if (y != nullptr) y[i] = e;
    sum += e;
  }
  return sum;
}

// sum of a[i] * b[i] in double.
template <typename T>
double row_dot(const T* a, const T* b, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}

// ------------------------------------------------------------------------------- reductions
template <typename T>
bool is_nan(T v) {
  return v != v;
}

// Whether v should replace the current pick m of an arg reduction scanning forward: strictly
// better (so the first of equal values stays), or the first NaN.
template <ArgReduceOp op, typename T>
bool replaces(T v, T m) {
  if (is_nan(m)) return false;
  if (is_nan(v)) return true;
  return op == ArgReduceOp::kArgmax ? v > m : v < m;
}

// op over a contiguous row, in the accumulate type (double).
template <ReduceOp op, typename T>
double reduce_row(const T* x, int64_t n) {
  if constexpr (op == ReduceOp::kSum || op == ReduceOp::kMean) {
    return row_sum(x, n);
  } else {
    return row_extreme<op>(x, n);
  }
}

// Combines two partial results of op (partial sums, or extremes with NaN winning).
template <ReduceOp op>
double combine(double a, double b) {
  if constexpr (op == ReduceOp::kSum || op == ReduceOp::kMean) {
    return a + b;
  } else {
    if (is_nan(a) || is_nan(b)) return std::numeric_limits<double>::quiet_NaN();
    return op == ReduceOp::kMax ? std::max(a, b) : std::min(a, b);
  }
}

template <ReduceOp op>
double finish(double value, int64_t n) {
  return op == ReduceOp::kMean ? value / static_cast<double>(n) : value;
}

// Every output reduces a contiguous row (n_stride 1).
template <ReduceOp op, typename T>
void reduce_rows(const StridedInput<T>& x, T* out) {
  const int64_t outputs = x.outer * x.inner;
  const auto row = [&](int64_t j) {
    return x.data + (j / x.inner) * x.outer_stride + (j % x.inner) * x.inner_stride;
  };
  const int threads = thread_count(outputs, x.n);
  if (outputs >= threads) {
    run_split(threads, outputs, [&](int, int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        out[j] = static_cast<T>(finish<op>(reduce_row<op>(row(j), x.n), x.n));
      }
    });
    return;
  }
  // Fewer outputs than threads (a full reduction): the threads split each row instead.
  const int row_threads = thread_count(1, x.n);
  std::vector<double> partial(row_threads);
  for (int64_t j = 0; j < outputs; ++j) {
    const T* data = row(j);
    run_split(row_threads, row_threads, [&](int, int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t lo = x.n * t / row_threads;
        const int64_t hi = x.n * (t + 1) / row_threads;
        partial[t] = reduce_row<op>(data + lo, hi - lo);
      }
    });
    double value = partial[0];
    for (int t = 1; t < row_threads; ++t) value = combine<op>(value, partial[t]);
    out[j] = static_cast<T>(finish<op>(value, x.n));
  }
}

// Sums with inner_stride 1 over few outer slices (a 2-D array summed over dim 0): each thread
// streams whole rows of its share of the n axis into its own full-width double buffer, so the
// reads are one sequential pass; the buffers are added at the end.
template <ReduceOp op, typename T>
void sum_columns_split_rows(const StridedInput<T>& x, T* out, int threads) {
  std::vector<double> partial(static_cast<size_t>(threads) * x.inner);
  for (int64_t o = 0; o < x.outer; ++o) {
    const T* base = x.data + o * x.outer_stride;
    run_split(threads, threads, [&](int, int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        double* acc = partial.data() + t * x.inner;
        std::fill(acc, acc + x.inner, 0.0);
        for (int64_t k = x.n * t / threads; k < x.n * (t + 1) / threads; ++k) {
          const T* p = base + k * x.n_stride;
#pragma omp simd
          for (int64_t c = 0; c < x.inner; ++c) acc[c] += p[c];
        }
      }
    });
    for (int64_t c = 0; c < x.inner; ++c) {
      double total = 0.0;
      for (int t = 0; t < threads; ++t) total += partial[static_cast<size_t>(t) * x.inner + c];
      out[o * x.inner + c] = static_cast<T>(finish<op>(total, x.n));
    }
  }
}

// inner_stride 1: blocks of columns carried down the n axis with running values in `acc`.
template <ReduceOp op, typename T>
void reduce_columns(const StridedInput<T>& x, T* out) {
  if constexpr (op == ReduceOp::kSum || op == ReduceOp::kMean) {
    const int threads = thread_count(x.n, x.inner);
    if (x.outer < threads && x.inner <= (int64_t{1} << 16)) {
      return sum_columns_split_rows<op>(x, out, threads);
    }
  }
  const int64_t width = std::clamp<int64_t>(x.inner / get_num_threads(), 8, kColumns);
  const int64_t blocks = (x.inner + width - 1) / width;
  parallel_for(x.outer * blocks, width * x.n, [&](int64_t begin, int64_t end) {
    double acc[kColumns];
    T pick[kColumns];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks;
      const int64_t c0 = (task % blocks) * width;
      const int64_t w = std::min(width, x.inner - c0);
      const T* base = x.data + o * x.outer_stride + c0;
      if constexpr (op == ReduceOp::kSum || op == ReduceOp::kMean) {
        std::fill(acc, acc + w, 0.0);
        for (int64_t k = 0; k < x.n; ++k) {
          const T* p = base + k * x.n_stride;
#pragma omp simd
          for (int64_t c = 0; c < w; ++c) acc[c] += p[c];
        }
        for (int64_t c = 0; c < w; ++c)
          out[o * x.inner + c0 + c] = static_cast<T>(finish<op>(acc[c], x.n));
      } else {
        std::copy(base, base + w, pick);
        for (int64_t k = 1; k < x.n; ++k) {
          const T* p = base + k * x.n_stride;
          for (int64_t c = 0; c < w; ++c) {
            // NaN sticks: once pick is NaN neither test below is true again
            const bool better = op == ReduceOp::kMax ? p[c] > pick[c] : p[c] < pick[c];
            if (better || is_nan(p[c])) pick[c] = p[c];
          }
        }
        std::copy(pick, pick + w, out + o * x.inner + c0);
      }
    }
  });
}

// Any strides: one output at a time, scalar (the reference's loop, threaded).
template <ReduceOp op, typename T>
void reduce_strided(const StridedInput<T>& x, T* out) {
  parallel_for(x.outer * x.inner, x.n, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const T* p = x.data + (j / x.inner) * x.outer_stride + (j % x.inner) * x.inner_stride;
      double value =
          op == ReduceOp::kSum || op == ReduceOp::kMean ? 0.0 : static_cast<double>(p[0]);
      for (int64_t k = 0; k < x.n; ++k) {
        value = combine<op>(value, static_cast<double>(p[k * x.n_stride]));
      }
      out[j] = static_cast<T>(finish<op>(value, x.n));
    }
  });
}

template <ReduceOp op, typename T>
void reduce_dispatch(const StridedInput<T>& x, T* out) {
  if (x.outer * x.inner == 0) return;
  if (x.n_stride == 1 || x.n <= 1) {
    reduce_rows<op>(x, out);
  } else if (x.inner_stride == 1 && x.inner > 1) {
    reduce_columns<op>(x, out);
  } else {
    reduce_strided<op>(x, out);
  }
}

// Index of the pick over a strided line of n >= 1 values, and that value.
template <ArgReduceOp op, typename T>
int64_t arg_line(const T* p, int64_t n, int64_t stride, T& value) {
  int64_t best = 0;
  value = p[0];
  for (int64_t k = 1; k < n; ++k) {
    if (replaces<op>(p[k * stride], value)) {
      value = p[k * stride];
      best = k;
    }
  }
  return best;
}

template <ArgReduceOp op, typename T>
void arg_reduce_impl(const StridedInput<T>& x, int64_t* out) {
  const int64_t outputs = x.outer * x.inner;
  if (outputs == 0) return;
  const auto line = [&](int64_t j) {
    return x.data + (j / x.inner) * x.outer_stride + (j % x.inner) * x.inner_stride;
  };
  const int threads = thread_count(outputs, x.n);
  if (outputs >= threads) {
    run_split(threads, outputs, [&](int, int64_t begin, int64_t end) {
      T value;
      for (int64_t j = begin; j < end; ++j) out[j] = arg_line<op>(line(j), x.n, x.n_stride, value);
    });
    return;
  }
  // A full reduction: each thread scans a chunk; the earliest best chunk wins.
  const int line_threads = thread_count(1, x.n);
  std::vector<int64_t> index(line_threads);
  std::vector<T> value(line_threads);
  for (int64_t j = 0; j < outputs; ++j) {
    const T* data = line(j);
    run_split(line_threads, line_threads, [&](int, int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t lo = x.n * t / line_threads;
        const int64_t hi = x.n * (t + 1) / line_threads;
        index[t] = lo + arg_line<op>(data + lo * x.n_stride, hi - lo, x.n_stride, value[t]);
      }
    });
    int best = 0;
    for (int t = 1; t < line_threads; ++t) {
      if (replaces<op>(value[t], value[best])) best = t;
    }
    out[j] = index[best];
  }
}

// ------------------------------------------------------------------------------- softmax
template <SoftmaxOp op, typename T>
void softmax_row(const T* x, T* y, int64_t n) {
  if (n == 0) return;
  const T m = row_extreme<ReduceOp::kMax>(x, n);
  if constexpr (op == SoftmaxOp::kSoftmax) {
    const T inv = static_cast<T>(1.0 / exp_sum(x, y, n, m));
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  } else {
    const T log_sum = static_cast<T>(std::log(exp_sum(x, nullptr, n, m)));
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_sum;
  }
}

// Middle axis: per column block, the column maxima, then exp and the column sums, then scale.
template <SoftmaxOp op, typename T>
void softmax_columns(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  parallel_for(outer * blocks, n * std::min(inner, kColumns), [&](int64_t begin, int64_t end) {
    T m[kColumns];
    double s[kColumns];
    T factor[kColumns];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks;
      const int64_t c0 = (task % blocks) * kColumns;
      const int64_t w = std::min(kColumns, inner - c0);
      const T* xb = x + o * n * inner + c0;
      T* yb = y + o * n * inner + c0;
      std::fill(m, m + w, -std::numeric_limits<T>::infinity());
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t c = 0; c < w; ++c) {
          const T v = xb[k * inner + c];
          if (v > m[c] || is_nan(v)) m[c] = is_nan(m[c]) ? m[c] : v;
        }
      }
      std::fill(s, s + w, 0.0);
      for (int64_t k = 0; k < n; ++k) {
        T* yr = yb + k * inner;
        for (int64_t c = 0; c < w; ++c) yr[c] = xb[k * inner + c] - m[c];
        exp_sum(yr, yr, w, T(0));
        for (int64_t c = 0; c < w; ++c) s[c] += yr[c];
      }
      for (int64_t c = 0; c < w; ++c) {
        factor[c] = static_cast<T>(op == SoftmaxOp::kSoftmax ? 1.0 / s[c] : std::log(s[c]));
      }
      for (int64_t k = 0; k < n; ++k) {
        T* yr = yb + k * inner;
        const T* xr = xb + k * inner;
        for (int64_t c = 0; c < w; ++c) {
          yr[c] = op == SoftmaxOp::kSoftmax ? yr[c] * factor[c] : (xr[c] - m[c]) - factor[c];
        }
      }
    }
  });
}

template <SoftmaxOp op, typename T>
void softmax_backward_row(const T* y, const T* g, T* gx, int64_t n) {
  if constexpr (op == SoftmaxOp::kSoftmax) {
    const T dot = static_cast<T>(row_dot(g, y, n));
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) gx[i] = y[i] * (g[i] - dot);
  } else {
    const T total = static_cast<T>(row_sum(g, n));
    exp_sum(y, gx, n, T(0));
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) gx[i] = g[i] - gx[i] * total;
  }
}

template <SoftmaxOp op, typename T>
void softmax_backward_columns(const T* y, const T* g, T* gx, int64_t outer, int64_t n,
                              int64_t inner) {
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  parallel_for(outer * blocks, n * std::min(inner, kColumns), [&](int64_t begin, int64_t end) {
    double acc[kColumns];
    T total[kColumns];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks;
      const int64_t c0 = (task % blocks) * kColumns;
      const int64_t w = std::min(kColumns, inner - c0);
      const int64_t base = o * n * inner + c0;
      std::fill(acc, acc + w, 0.0);
      for (int64_t k = 0; k < n; ++k) {
        const T* yr = y + base + k * inner;
        const T* gr = g + base + k * inner;
        for (int64_t c = 0; c < w; ++c) {
          acc[c] += op == SoftmaxOp::kSoftmax ? static_cast<double>(gr[c]) * yr[c] : gr[c];
        }
      }
      for (int64_t c = 0; c < w; ++c) total[c] = static_cast<T>(acc[c]);
      for (int64_t k = 0; k < n; ++k) {
        const T* yr = y + base + k * inner;
        const T* gr = g + base + k * inner;
        T* out = gx + base + k * inner;
        if constexpr (op == SoftmaxOp::kSoftmax) {
          for (int64_t c = 0; c < w; ++c) out[c] = yr[c] * (gr[c] - total[c]);
        } else {
          exp_sum(yr, out, w, T(0));
          for (int64_t c = 0; c < w; ++c) out[c] = gr[c] - out[c] * total[c];
        }
      }
    }
  });
}

// The shift logsumexp subtracts before exp: the max, or 0 where the max is infinite.
template <typename T>
T lse_shift(T m) {
  return std::isinf(m) ? T(0) : m;
}

template <typename T>
void logsumexp_rows(const T* x, T* out, int64_t rows, int64_t n) {
  parallel_for(rows, n, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * n;
      const T shift = lse_shift(row_extreme<ReduceOp::kMax>(xr, n));
      out[r] = static_cast<T>(std::log(exp_sum(xr, nullptr, n, shift)) + shift);
    }
  });
}

template <typename T>
void logsumexp_columns(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  const int64_t blocks = (inner + kColumns - 1) / kColumns;
  parallel_for(outer * blocks, n * std::min(inner, kColumns), [&](int64_t begin, int64_t end) {
    T shift[kColumns];
    T tmp[kColumns];
    double s[kColumns];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks;
      const int64_t c0 = (task % blocks) * kColumns;
      const int64_t w = std::min(kColumns, inner - c0);
      const T* xb = x + o * n * inner + c0;
      std::fill(shift, shift + w, -std::numeric_limits<T>::infinity());  // n may be 0
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t c = 0; c < w; ++c) {
          const T v = xb[k * inner + c];
          if (v > shift[c] || is_nan(v)) shift[c] = is_nan(shift[c]) ? shift[c] : v;
        }
      }
      for (int64_t c = 0; c < w; ++c) shift[c] = lse_shift(shift[c]);
      std::fill(s, s + w, 0.0);
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t c = 0; c < w; ++c) tmp[c] = xb[k * inner + c] - shift[c];
        exp_sum(tmp, tmp, w, T(0));
        for (int64_t c = 0; c < w; ++c) s[c] += tmp[c];
      }
      for (int64_t c = 0; c < w; ++c) {
        out[o * inner + c0 + c] = static_cast<T>(std::log(s[c]) + shift[c]);
      }
    }
  });
}

// ------------------------------------------------------------------------------- layer norm
// mean and 1 / sqrt(var + eps) of one row, two passes (the row is in L1 for the second).
template <typename T>
void row_moments(const T* x, int64_t n, double eps, double& mean, double& rstd) {
  mean = n > 0 ? row_sum(x, n) / static_cast<double>(n) : 0.0;
  double ss = 0.0;
#pragma omp simd reduction(+ : ss)
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - mean;
    ss += d * d;
  }
  rstd = 1.0 / std::sqrt(ss / static_cast<double>(std::max<int64_t>(n, 1)) + eps);
}

// ------------------------------------------------------------------------------- cross-entropy
// The constants of one row of the cross-entropy: its target's weight w[y] and
// t = (1 - eps) w[y] onehot(y) + eps / C w, A = sum(t).
template <typename T>
struct CrossEntropyRow {
  double target_weight;
  double smooth_scale;  // eps / C
  double total;         // A
};

template <typename T>
CrossEntropyRow<T> cross_entropy_row(const T* weight, int64_t y, int64_t classes, double weight_sum,
                                     CrossEntropyOptions options) {
  const double eps = options.label_smoothing;
  const double wy = weight != nullptr ? static_cast<double>(weight[y]) : 1.0;
  const double smooth = classes > 0 ? eps / static_cast<double>(classes) : 0.0;
  return {wy, smooth, (1.0 - eps) * wy + smooth * weight_sum};
}

template <typename T>
double class_weight_sum(const T* weight, int64_t classes) {
  return weight != nullptr ? row_sum(weight, classes) : static_cast<double>(classes);
}

}  // namespace

// =============================================================================== entry points
template <typename T>
void reduce(ReduceOp op, const StridedInput<T>& x, T* out) {
  switch (op) {
    case ReduceOp::kSum:
      return reduce_dispatch<ReduceOp::kSum>(x, out);
    case ReduceOp::kMean:
      return reduce_dispatch<ReduceOp::kMean>(x, out);
    case ReduceOp::kMax:
      return reduce_dispatch<ReduceOp::kMax>(x, out);
    case ReduceOp::kMin:
      return reduce_dispatch<ReduceOp::kMin>(x, out);
  }
}

template <typename T>
void reduce_reference(ReduceOp op, const StridedInput<T>& x, T* out) {
  for (int64_t o = 0; o < x.outer; ++o) {
    for (int64_t i = 0; i < x.inner; ++i) {
      const T* p = x.data + o * x.outer_stride + i * x.inner_stride;
      long double sum = 0;
      T pick = x.n > 0 ? p[0] : T(0);
      for (int64_t k = 0; k < x.n; ++k) {
        const T v = p[k * x.n_stride];
        sum += v;
        if (is_nan(pick)) continue;
        if (is_nan(v) || (op == ReduceOp::kMax ? v > pick : v < pick)) pick = v;
      }
      T value = pick;
      if (op == ReduceOp::kSum) value = static_cast<T>(sum);
      if (op == ReduceOp::kMean) value = static_cast<T>(sum / x.n);
      out[o * x.inner + i] = value;
    }
  }
}

template <typename T>
void arg_reduce(ArgReduceOp op, const StridedInput<T>& x, int64_t* out) {
  if (op == ArgReduceOp::kArgmax) {
    arg_reduce_impl<ArgReduceOp::kArgmax>(x, out);
  } else {
    arg_reduce_impl<ArgReduceOp::kArgmin>(x, out);
  }
}

template <typename T>
void arg_reduce_reference(ArgReduceOp op, const StridedInput<T>& x, int64_t* out) {
  for (int64_t o = 0; o < x.outer; ++o) {
    for (int64_t i = 0; i < x.inner; ++i) {
      const T* p = x.data + o * x.outer_stride + i * x.inner_stride;
      int64_t best = 0;
      for (int64_t k = 1; k < x.n; ++k) {
        const T v = p[k * x.n_stride];
        const T m = p[best * x.n_stride];
        if (is_nan(m)) break;
        if (is_nan(v) || (op == ArgReduceOp::kArgmax ? v > m : v < m)) best = k;
      }
      out[o * x.inner + i] = best;
    }
  }
}

template <typename T>
void softmax_forward(SoftmaxOp op, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) {
    parallel_for(outer, n, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        if (op == SoftmaxOp::kSoftmax) {
          softmax_row<SoftmaxOp::kSoftmax>(x + r * n, y + r * n, n);
        } else {
          softmax_row<SoftmaxOp::kLogSoftmax>(x + r * n, y + r * n, n);
        }
      }
    });
  } else if (op == SoftmaxOp::kSoftmax) {
    softmax_columns<SoftmaxOp::kSoftmax>(x, y, outer, n, inner);
  } else {
    softmax_columns<SoftmaxOp::kLogSoftmax>(x, y, outer, n, inner);
  }
}

template <typename T>
void softmax_forward_reference(SoftmaxOp op, const T* x, T* y, int64_t outer, int64_t n,
                               int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * n * inner + i;
      T* q = y + o * n * inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < n; ++k)
        m = is_nan(m) || is_nan(p[k * inner]) ? NAN : std::max(m, p[k * inner]);
      long double s = 0;
      for (int64_t k = 0; k < n; ++k) s += std::exp(static_cast<long double>(p[k * inner]) - m);
      for (int64_t k = 0; k < n; ++k) {
        const long double shifted = static_cast<long double>(p[k * inner]) - m;
        q[k * inner] = static_cast<T>(op == SoftmaxOp::kSoftmax ? std::exp(shifted) / s
                                                                : shifted - std::log(s));
      }
    }
  }
}

template <typename T>
void softmax_backward(SoftmaxOp op, const T* y, const T* grad_y, T* grad_x, int64_t outer,
                      int64_t n, int64_t inner) {
  if (inner == 1) {
    parallel_for(outer, 2 * n, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        if (op == SoftmaxOp::kSoftmax) {
          softmax_backward_row<SoftmaxOp::kSoftmax>(y + r * n, grad_y + r * n, grad_x + r * n, n);
        } else {
          softmax_backward_row<SoftmaxOp::kLogSoftmax>(y + r * n, grad_y + r * n, grad_x + r * n,
                                                       n);
        }
      }
    });
  } else if (op == SoftmaxOp::kSoftmax) {
    softmax_backward_columns<SoftmaxOp::kSoftmax>(y, grad_y, grad_x, outer, n, inner);
  } else {
    softmax_backward_columns<SoftmaxOp::kLogSoftmax>(y, grad_y, grad_x, outer, n, inner);
  }
}

template <typename T>
void softmax_backward_reference(SoftmaxOp op, const T* y, const T* grad_y, T* grad_x, int64_t outer,
                                int64_t n, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * n * inner + i;
      long double total = 0;
      for (int64_t k = 0; k < n; ++k) {
        const int64_t at = base + k * inner;
        total += op == SoftmaxOp::kSoftmax ? static_cast<long double>(grad_y[at]) * y[at]
                                           : static_cast<long double>(grad_y[at]);
      }
      for (int64_t k = 0; k < n; ++k) {
        const int64_t at = base + k * inner;
        grad_x[at] =
            static_cast<T>(op == SoftmaxOp::kSoftmax
                               ? y[at] * (grad_y[at] - total)
                               : grad_y[at] - std::exp(static_cast<long double>(y[at])) * total);
      }
    }
  }
}

template <typename T>
void logsumexp(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) {
    logsumexp_rows(x, out, outer, n);
  } else {
    logsumexp_columns(x, out, outer, n, inner);
  }
}

template <typename T>
void logsumexp_reference(const T* x, T* out, int64_t outer, int64_t n, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * n * inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < n; ++k)
        m = is_nan(m) || is_nan(p[k * inner]) ? NAN : std::max(m, p[k * inner]);
      const T shift = lse_shift(m);
      long double s = 0;
      for (int64_t k = 0; k < n; ++k) s += std::exp(static_cast<long double>(p[k * inner]) - shift);
      out[o * inner + i] = static_cast<T>(std::log(s) + shift);
    }
  }
}

template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, T* y, T* mean, T* rstd,
                        int64_t rows, int64_t cols, double eps) {
  parallel_for(rows, 2 * cols, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      double mu, inv;
      row_moments(xr, cols, eps, mu, inv);
      mean[r] = static_cast<T>(mu);
      rstd[r] = static_cast<T>(inv);
      // (x - mean) * rstd rather than x * rstd - mean * rstd: no cancellation when |mean| >> std
      const T mu_t = static_cast<T>(mu);
      const T inv_t = static_cast<T>(inv);
      if (weight != nullptr && bias != nullptr) {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - mu_t) * inv_t * weight[c] + bias[c];
      } else if (weight != nullptr) {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - mu_t) * inv_t * weight[c];
      } else if (bias != nullptr) {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - mu_t) * inv_t + bias[c];
      } else {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - mu_t) * inv_t;
      }
    }
  });
}

template <typename T>
void layer_norm_forward_reference(const T* x, const T* weight, const T* bias, T* y, T* mean,
                                  T* rstd, int64_t rows, int64_t cols, double eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    long double mu = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c) mu += xr[c];
    mu /= std::max<int64_t>(cols, 1);
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
    var /= std::max<int64_t>(cols, 1);
    const long double inv = 1 / std::sqrt(var + eps);
    mean[r] = static_cast<T>(mu);
    rstd[r] = static_cast<T>(inv);
    for (int64_t c = 0; c < cols; ++c) {
      long double v = (xr[c] - mu) * inv;
      if (weight != nullptr) v *= weight[c];
      if (bias != nullptr) v += bias[c];
      y[r * cols + c] = static_cast<T>(v);
    }
  }
}

template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, int64_t rows, int64_t cols) {
  const bool param_grads = grad_weight != nullptr || grad_bias != nullptr;
  const int threads = thread_count(rows, 3 * cols);
  // Each thread sums its rows' grad_weight and grad_bias terms into its own double buffers
  // (no races, no atomics); the buffers are added up at the end.
  std::vector<double> partial(param_grads ? static_cast<size_t>(threads) * 2 * cols : 0, 0.0);
  run_split(threads, rows, [&](int t, int64_t begin, int64_t end) {
    double* gw = param_grads ? partial.data() + static_cast<size_t>(t) * 2 * cols : nullptr;
    double* gb = param_grads ? gw + cols : nullptr;
    std::vector<T> scaled(weight != nullptr ? cols : 0);
    for (int64_t r = begin; r < end; ++r) {
      const T* gr = grad_y + r * cols;
      const T* xr = x + r * cols;
      const T mu = mean[r];
      const T inv = rstd[r];
      if (param_grads) {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) {
          const double x_hat = static_cast<double>((xr[c] - mu) * inv);
          gw[c] += gr[c] * x_hat;
          gb[c] += gr[c];
        }
      }
      if (grad_x == nullptr) continue;
      const T* g = gr;
      if (weight != nullptr) {
#pragma omp simd
        for (int64_t c = 0; c < cols; ++c) scaled[c] = gr[c] * weight[c];
        g = scaled.data();
      }
      double sum_g = 0.0;
      double sum_g_xhat = 0.0;
#pragma omp simd reduction(+ : sum_g, sum_g_xhat)
      for (int64_t c = 0; c < cols; ++c) {
        sum_g += g[c];
        sum_g_xhat += static_cast<double>(g[c]) * static_cast<double>((xr[c] - mu) * inv);
      }
      const T mean_g = static_cast<T>(sum_g / static_cast<double>(cols));
      const T mean_g_xhat = static_cast<T>(sum_g_xhat / static_cast<double>(cols));
      T* out = grad_x + r * cols;
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) {
        out[c] = inv * (g[c] - mean_g - (xr[c] - mu) * inv * mean_g_xhat);
      }
    }
  });
  if (!param_grads) return;
  for (int64_t c = 0; c < cols; ++c) {
    double w = 0.0, b = 0.0;
    for (int t = 0; t < threads; ++t) {
      w += partial[static_cast<size_t>(t) * 2 * cols + c];
      b += partial[static_cast<size_t>(t) * 2 * cols + cols + c];
    }
    if (grad_weight != nullptr) grad_weight[c] = static_cast<T>(w);
    if (grad_bias != nullptr) grad_bias[c] = static_cast<T>(b);
  }
}

template <typename T>
void layer_norm_backward_reference(const T* grad_y, const T* x, const T* mean, const T* rstd,
                                   const T* weight, T* grad_x, T* grad_weight, T* grad_bias,
                                   int64_t rows, int64_t cols) {
  std::vector<long double> gw(cols, 0), gb(cols, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t at = r * cols;
    long double sum_g = 0, sum_g_xhat = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const long double x_hat = (static_cast<long double>(x[at + c]) - mean[r]) * rstd[r];
      const long double g = static_cast<long double>(grad_y[at + c]) * (weight ? weight[c] : 1);
      sum_g += g;
      sum_g_xhat += g * x_hat;
      gw[c] += grad_y[at + c] * x_hat;
      gb[c] += grad_y[at + c];
    }
    if (grad_x == nullptr) continue;
    for (int64_t c = 0; c < cols; ++c) {
      const long double x_hat = (static_cast<long double>(x[at + c]) - mean[r]) * rstd[r];
      const long double g = static_cast<long double>(grad_y[at + c]) * (weight ? weight[c] : 1);
      grad_x[at + c] = static_cast<T>(rstd[r] * (g - sum_g / cols - x_hat * sum_g_xhat / cols));
    }
  }
  for (int64_t c = 0; c < cols; ++c) {
    if (grad_weight != nullptr) grad_weight[c] = static_cast<T>(gw[c]);
    if (grad_bias != nullptr) grad_bias[c] = static_cast<T>(gb[c]);
  }
}

template <typename T>
void cross_entropy_forward(const T* logits, const int64_t* target, const T* weight, T* loss, T* lse,
                           int64_t rows, int64_t classes, CrossEntropyOptions options) {
  const double weight_sum = class_weight_sum(weight, classes);
  const double eps = options.label_smoothing;
  parallel_for(rows, classes, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* z = logits + r * classes;
      const T m = row_extreme<ReduceOp::kMax>(z, classes);
      const double log_sum = std::log(exp_sum(z, nullptr, classes, m)) + m;
      lse[r] = static_cast<T>(log_sum);
      const int64_t y = target[r];
      if (y == options.ignore_index) {
        loss[r] = T(0);
        continue;
      }
      const CrossEntropyRow<T> row = cross_entropy_row(weight, y, classes, weight_sum, options);
      double value = (1.0 - eps) * row.target_weight * (log_sum - z[y]);
      if (eps > 0.0) {
        // sum_c w_c (lse - z_c) = W lse - sum_c w_c z_c
        const double weighted =
            weight != nullptr ? row_dot(weight, z, classes) : row_sum(z, classes);
        value += row.smooth_scale * (weight_sum * log_sum - weighted);
      }
      loss[r] = static_cast<T>(value);
    }
  });
}

template <typename T>
void cross_entropy_forward_reference(const T* logits, const int64_t* target, const T* weight,
                                     T* loss, T* lse, int64_t rows, int64_t classes,
                                     CrossEntropyOptions options) {
  const long double eps = options.label_smoothing;
  for (int64_t r = 0; r < rows; ++r) {
    const T* z = logits + r * classes;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t c = 0; c < classes; ++c) m = std::max(m, z[c]);
    long double s = 0;
    for (int64_t c = 0; c < classes; ++c) s += std::exp(static_cast<long double>(z[c]) - m);
    const long double log_sum = std::log(s) + m;
    lse[r] = static_cast<T>(log_sum);
    const int64_t y = target[r];
    if (y == options.ignore_index) {
      loss[r] = T(0);
      continue;
    }
    long double smooth = 0;
    for (int64_t c = 0; c < classes; ++c) smooth += (weight ? weight[c] : 1) * (log_sum - z[c]);
    const long double wy = weight ? weight[y] : 1;
    loss[r] = static_cast<T>((1 - eps) * wy * (log_sum - z[y]) + eps / classes * smooth);
  }
}

template <typename T>
void cross_entropy_backward(const T* logits, const int64_t* target, const T* weight, const T* lse,
                            const T* row_scale, int64_t row_scale_stride, T* grad, int64_t rows,
                            int64_t classes, CrossEntropyOptions options) {
  const double weight_sum = class_weight_sum(weight, classes);
  const double eps = options.label_smoothing;
  parallel_for(rows, 2 * classes, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      T* out = grad + r * classes;
      const int64_t y = target[r];
      if (y == options.ignore_index) {
        std::fill(out, out + classes, T(0));
        continue;
      }
      const CrossEntropyRow<T> row = cross_entropy_row(weight, y, classes, weight_sum, options);
      const double scale = row_scale[r * row_scale_stride];
      exp_sum(logits + r * classes, out, classes, lse[r]);  // out = softmax of the row
      const T a = static_cast<T>(scale * row.total);
      const T b = static_cast<T>(scale * row.smooth_scale);
      if (weight != nullptr) {
#pragma omp simd
        for (int64_t c = 0; c < classes; ++c) out[c] = a * out[c] - b * weight[c];
      } else {
#pragma omp simd
        for (int64_t c = 0; c < classes; ++c) out[c] = a * out[c] - b;
      }
      out[y] -= static_cast<T>(scale * (1.0 - eps) * row.target_weight);
    }
  });
}

template <typename T>
void cross_entropy_backward_reference(const T* logits, const int64_t* target, const T* weight,
                                      const T* lse, const T* row_scale, int64_t row_scale_stride,
                                      T* grad, int64_t rows, int64_t classes,
                                      CrossEntropyOptions options) {
  const long double eps = options.label_smoothing;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t y = target[r];
    const long double scale = row_scale[r * row_scale_stride];
    for (int64_t c = 0; c < classes; ++c) {
      if (y == options.ignore_index) {
        grad[r * classes + c] = T(0);
        continue;
      }
      const long double p = std::exp(static_cast<long double>(logits[r * classes + c]) - lse[r]);
      long double g = 0;  // d/dz_c of (1 - eps) w_y (-log p_y) + eps / C sum_k w_k (-log p_k)
      const long double wy = weight ? weight[y] : 1;
      g += (1 - eps) * wy * (p - (c == y ? 1 : 0));
      for (int64_t k = 0; k < classes; ++k) {
        g += eps / classes * (weight ? weight[k] : 1) * (p - (c == k ? 1 : 0));
      }
      grad[r * classes + c] = static_cast<T>(scale * g);
    }
  }
}

template <typename T>
void embedding_backward(const T* grad, const int64_t* indices, int64_t n, int64_t dim,
                        int64_t num_embeddings, int64_t padding_idx, bool scale_grad_by_freq,
                        T* grad_weight) {
  std::vector<int64_t> count(scale_grad_by_freq ? num_embeddings : 0, 0);
  for (int64_t i = 0; i < n && scale_grad_by_freq; ++i) ++count[indices[i]];
  const int threads = thread_count(num_embeddings + n, dim);
  // Thread t owns the rows e with e % threads == t: it zeroes them and adds every gradient
  // row that lands on one of them, so no two threads write the same row. Each thread reads
  // all the indices (8 bytes each) but only its share of the gradient rows.
  run_split(threads, threads, [&](int, int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t e = t; e < num_embeddings; e += threads) {
        std::fill(grad_weight + e * dim, grad_weight + (e + 1) * dim, T(0));
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t e = indices[i];
        if (e % threads != t || e == padding_idx) continue;
        const T scale = scale_grad_by_freq ? T(1) / static_cast<T>(count[e]) : T(1);
        T* dst = grad_weight + e * dim;
        const T* src = grad + i * dim;
#pragma omp simd
        for (int64_t c = 0; c < dim; ++c) dst[c] += scale * src[c];
      }
    }
  });
}

template <typename T>
void embedding_backward_reference(const T* grad, const int64_t* indices, int64_t n, int64_t dim,
                                  int64_t num_embeddings, int64_t padding_idx,
                                  bool scale_grad_by_freq, T* grad_weight) {
  std::fill(grad_weight, grad_weight + num_embeddings * dim, T(0));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t e = indices[i];
    if (e == padding_idx) continue;
    int64_t count = 0;
    for (int64_t j = 0; j < n; ++j) count += indices[j] == e;
    for (int64_t c = 0; c < dim; ++c) {
      grad_weight[e * dim + c] +=
          scale_grad_by_freq ? grad[i * dim + c] / count : grad[i * dim + c];
    }
  }
}

#define PYBIGML_INSTANTIATE_REDUCE(T)                                                              \
  template void reduce<T>(ReduceOp, const StridedInput<T>&, T*);                                   \
  template void reduce_reference<T>(ReduceOp, const StridedInput<T>&, T*);                         \
  template void arg_reduce<T>(ArgReduceOp, const StridedInput<T>&, int64_t*);                      \
  template void arg_reduce_reference<T>(ArgReduceOp, const StridedInput<T>&, int64_t*);            \
  template void softmax_forward<T>(SoftmaxOp, const T*, T*, int64_t, int64_t, int64_t);            \
  template void softmax_forward_reference<T>(SoftmaxOp, const T*, T*, int64_t, int64_t, int64_t);  \
  template void softmax_backward<T>(SoftmaxOp, const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void softmax_backward_reference<T>(SoftmaxOp, const T*, const T*, T*, int64_t, int64_t, \
                                              int64_t);                                            \
  template void logsumexp<T>(const T*, T*, int64_t, int64_t, int64_t);                             \
  template void logsumexp_reference<T>(const T*, T*, int64_t, int64_t, int64_t);                   \
  template void layer_norm_forward<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t,  \
                                      double);                                                     \
  template void layer_norm_forward_reference<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, \
                                                int64_t, double);                                  \
  template void layer_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*,   \
                                       T*, int64_t, int64_t);                                      \
  template void layer_norm_backward_reference<T>(const T*, const T*, const T*, const T*, const T*, \
                                                 T*, T*, T*, int64_t, int64_t);                    \
  template void cross_entropy_forward<T>(const T*, const int64_t*, const T*, T*, T*, int64_t,      \
                                         int64_t, CrossEntropyOptions);                            \
  template void cross_entropy_forward_reference<T>(const T*, const int64_t*, const T*, T*, T*,     \
                                                   int64_t, int64_t, CrossEntropyOptions);         \
  template void cross_entropy_backward<T>(const T*, const int64_t*, const T*, const T*, const T*,  \
                                          int64_t, T*, int64_t, int64_t, CrossEntropyOptions);     \
  template void cross_entropy_backward_reference<T>(const T*, const int64_t*, const T*, const T*,  \
                                                    const T*, int64_t, T*, int64_t, int64_t,       \
                                                    CrossEntropyOptions);                          \
  template void embedding_backward<T>(const T*, const int64_t*, int64_t, int64_t, int64_t,         \
                                      int64_t, bool, T*);                                          \
  template void embedding_backward_reference<T>(const T*, const int64_t*, int64_t, int64_t,        \
                                                int64_t, int64_t, bool, T*);

PYBIGML_INSTANTIATE_REDUCE(float)
PYBIGML_INSTANTIATE_REDUCE(double)

}  // namespace pybigml
