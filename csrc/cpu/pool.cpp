// Max, average and adaptive pooling on the CPU (contract in pybigml/pool.h).
//
// Strategy. Pooling does a handful of operations per input element, so it is bound by memory
// traffic, not arithmetic: the floor is one read of the input plus one write of the output (and
// of the int64 indices for max pooling), e.g. 5.5 + 1.4 + 2.8 = 9.7 MB for max_pool2d k2 on a
// (64, 32, 26, 26) float32 tensor, about 300 microseconds at the 20-40 GB/s a pair of cores
// draws. The fast kernels aim at that floor:
//
//  * OpenMP over planes (N * C of them): planes are independent, contiguous and written by one
//    thread each, so there is no sharing and no atomics, backward scatters included.
//  * Window bounds are worked out once per call, per output row and per output column
//    (WindowSpans), so the inner loops run over valid taps only, with no padding tests.
//  * Max pooling with unit dilation and horizontal stride 1 or 2 (every common layer) computes
//    a run of output columns at once in SIMD registers: for each tap of the window, one strided
//    load brings that tap of 8 (float) or 4 (double) neighbouring windows; a compare-and-blend
//    keeps the running max and its index. Taps are visited in row-major order with PyTorch's
//    test (value > max or value is NaN), so values and indices are exactly PyTorch's.
//  * Average pooling uses the same SIMD runs (the taps summed in row-major order, one division
//    per run of windows); other windows, and adaptive pooling, sum contiguous row segments with
//    SIMD accumulators (a whole-width window is one segment: adaptive pooling to 1 x 1 reads
//    each plane as a single run).
//  * Backward passes zero each input plane and add each output's share into it (max: at its
//    index; average: over its window), plane by plane in cache.
//
// Each fast kernel keeps a plain single-threaded reference beside it, written the way the
// definition reads (loop over outputs, loop over the window, skip padding), which the tests
// hold the fast kernels to.
#include "pybigml/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace pybigml {
namespace {

// Below this many input elements per thread, waking another thread costs more than it saves.
constexpr int64_t kMinElementsPerThread = 16384;

int threads_for(int64_t planes, int64_t elements) {
  const int64_t by_work = std::max<int64_t>(1, elements / kMinElementsPerThread);
  return static_cast<int>(std::clamp<int64_t>(std::min(by_work, planes), 1, get_num_threads()));
}

// The valid taps of the windows along one axis: window `o` reads input positions
// first[o] + t * dilation for t in [0, count[o]). `edge[o]` is its first position counting
// padding (o * stride - pad), which count_include_pad averages need; `end_padded[o]` is where
// its padded extent ends, clipped to in + pad as PyTorch clips it.
struct WindowSpans {
  std::vector<int64_t> first, count, edge, end_padded;

  WindowSpans(int64_t out, int64_t in, int64_t kernel, int64_t stride, int64_t pad,
              int64_t dilation)
      : first(out), count(out), edge(out), end_padded(out) {
    for (int64_t o = 0; o < out; ++o) {
      const int64_t start = o * stride - pad;
      // Skip the taps before position 0, then stop before position `in`.
      int64_t skip = start < 0 ? (-start + dilation - 1) / dilation : 0;
      skip = std::min(skip, kernel);
      int64_t taps = kernel - skip;
      const int64_t begin = start + skip * dilation;
      if (taps > 0 && begin + (taps - 1) * dilation >= in) {
        taps = begin >= in ? 0 : (in - 1 - begin) / dilation + 1;
      }
      first[o] = begin;
      count[o] = taps;
      edge[o] = start;
      end_padded[o] = std::min(start + kernel, in + pad);
    }
  }
};

// The output columns [begin, end) whose windows hold all `kernel` taps, none in the padding:
// the candidates for SIMD runs (windows grow then shrink, so they are one range).
std::pair<int64_t, int64_t> whole_windows(const WindowSpans& cols, int64_t kernel) {
  const int64_t out = static_cast<int64_t>(cols.count.size());
  int64_t begin = 0;
  while (begin < out && cols.count[begin] < kernel) ++begin;
  int64_t end = begin;
  while (end < out && cols.count[end] == kernel) ++end;
  return {begin, end};
}

// PyTorch's comparison: a NaN replaces anything, otherwise only a strictly greater value.
template <typename T>
inline bool replaces(T value, T best) {
  return value > best || std::isnan(value);
}

// ------------------------------------------------- SIMD runs: kLanes neighbouring windows
#ifdef PYBIGML_HAVE_AVX2_FMA
// Lanes p[0], p[stride], ..., p[7 * stride] for stride 1 or 2; reads p[0 .. 8 * stride).
inline __m256 load_strided(const float* p, int64_t stride) {
  if (stride == 1) return _mm256_loadu_ps(p);
  const __m256 lo = _mm256_loadu_ps(p);      // p0..p7
  const __m256 hi = _mm256_loadu_ps(p + 8);  // p8..p15
  // Even elements of each 128-bit half: p0 p2 p8 p10 | p4 p6 p12 p14; then restore order.
  const __m256 evens = _mm256_shuffle_ps(lo, hi, 0x88);
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens), 0xD8));
}

// Lanes p[0], p[stride], p[2 * stride], p[3 * stride] for stride 1 or 2; reads p[0 .. 4 * stride).
inline __m256d load_strided(const double* p, int64_t stride) {
  if (stride == 1) return _mm256_loadu_pd(p);
  const __m256d lo = _mm256_loadu_pd(p);             // p0..p3
  const __m256d hi = _mm256_loadu_pd(p + 4);         // p4..p7
  const __m256d evens = _mm256_unpacklo_pd(lo, hi);  // p0 p4 | p2 p6
  return _mm256_permute4x64_pd(evens, 0xD8);         // p0 p2 p4 p6
}

// A run of kLanes neighbouring max windows: their running maxima and indices in registers.
// float carries int32 indices (8 lanes, plane size checked < 2^31 by the caller); double
// carries int64 ones (4 lanes).
template <typename T>
struct MaxRun;

template <>
struct MaxRun<float> {
  static constexpr int kLanes = 8;
  __m256 best = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256i where;  // starts at the windows' first taps, kept while every value is -inf

  MaxRun(int64_t index0, __m256i lane_steps) : where(index(index0, lane_steps)) {}

  static __m256i index(int64_t index0, __m256i lane_steps) {
    return _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(index0)), lane_steps);
  }

  // Offer the values at p (lane stride `stride`) whose indices are index0 + lane * stride.
  void offer(const float* p, int64_t stride, int64_t index0, __m256i lane_steps) {
    const __m256 value = load_strided(p, stride);
    const __m256 take = _mm256_or_ps(_mm256_cmp_ps(value, best, _CMP_GT_OQ),
                                     _mm256_cmp_ps(value, value, _CMP_UNORD_Q));
    best = _mm256_blendv_ps(best, value, take);
    where = _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(where), _mm256_castsi256_ps(index(index0, lane_steps)), take));
  }

  static __m256i steps(int64_t stride) {
    const int s = static_cast<int>(stride);
    return _mm256_setr_epi32(0, s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s);
  }

  void store(float* out, int64_t* out_index) const {
    _mm256_storeu_ps(out, best);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out_index),
                        _mm256_cvtepi32_epi64(_mm256_castsi256_si128(where)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out_index + 4),
                        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(where, 1)));
  }
};

template <>
struct MaxRun<double> {
  static constexpr int kLanes = 4;
  __m256d best = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
  __m256i where;

  MaxRun(int64_t index0, __m256i lane_steps) : where(index(index0, lane_steps)) {}

  static __m256i index(int64_t index0, __m256i lane_steps) {
    return _mm256_add_epi64(_mm256_set1_epi64x(index0), lane_steps);
  }

  void offer(const double* p, int64_t stride, int64_t index0, __m256i lane_steps) {
    const __m256d value = load_strided(p, stride);
    const __m256d take = _mm256_or_pd(_mm256_cmp_pd(value, best, _CMP_GT_OQ),
                                      _mm256_cmp_pd(value, value, _CMP_UNORD_Q));
    best = _mm256_blendv_pd(best, value, take);
    where = _mm256_castpd_si256(_mm256_blendv_pd(
        _mm256_castsi256_pd(where), _mm256_castsi256_pd(index(index0, lane_steps)), take));
  }

  static __m256i steps(int64_t stride) {
    return _mm256_setr_epi64x(0, stride, 2 * stride, 3 * stride);
  }

  void store(double* out, int64_t* out_index) const {
    _mm256_storeu_pd(out, best);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out_index), where);
  }
};
#endif  // PYBIGML_HAVE_AVX2_FMA

// One output of max pooling over the valid taps of rows `rows` and columns `cols`.
template <typename T>
inline void max_window(const T* plane, int64_t in_w, int64_t row0, int64_t rows, int64_t row_step,
                       int64_t col0, int64_t cols, int64_t col_step, T* out, int64_t* out_index) {
  T best = -std::numeric_limits<T>::infinity();
  int64_t where = row0 * in_w + col0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row_start = (row0 + r * row_step) * in_w;
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t index = row_start + col0 + c * col_step;
      const T value = plane[index];
      if (replaces(value, best)) {
        best = value;
        where = index;
      }
    }
  }
  *out = best;
  *out_index = where;
}

// The outputs [ow_begin, ow_end) of one output row whose windows are whole horizontally, by
// SIMD runs (when built with AVX2, dilation_w is 1 and stride_w is 1 or 2); returns the first
// output column it did not compute.
template <typename T>
int64_t max_row_simd(const T* plane, const PoolWindow& w, const WindowSpans& rows, int64_t oh,
                     int64_t ow_begin, int64_t ow_end, T* out, int64_t* out_index) {
#ifdef PYBIGML_HAVE_AVX2_FMA
  const int64_t sw = w.stride_w;
  if (w.dilation_w != 1 || (sw != 1 && sw != 2)) return ow_begin;
  constexpr int kLanes = MaxRun<T>::kLanes;
  const __m256i lane_steps = MaxRun<T>::steps(sw);
  const int64_t row0 = rows.first[oh], row_count = rows.count[oh];
  int64_t ow = ow_begin;
  // A run reads kLanes * sw values from column ow * sw - pad_w + kw: stay inside the row.
  for (; ow + kLanes <= ow_end && (ow * sw - w.pad_w + w.kernel_w - 1) + kLanes * sw <= w.in_w;
       ow += kLanes) {
    const int64_t col0 = ow * sw - w.pad_w;
    MaxRun<T> run(row0 * w.in_w + col0, lane_steps);
    for (int64_t r = 0; r < row_count; ++r) {
      const int64_t row_start = (row0 + r * w.dilation_h) * w.in_w;
      for (int64_t kw = 0; kw < w.kernel_w; ++kw) {
        const int64_t index0 = row_start + col0 + kw;
        run.offer(plane + index0, sw, index0, lane_steps);
      }
    }
    run.store(out + ow, out_index + ow);
  }
  return ow;
#else
  (void)plane, (void)w, (void)rows, (void)oh, (void)ow_end, (void)out, (void)out_index;
  return ow_begin;
#endif
}

}  // namespace

// ------------------------------------------------------------------------- max pooling
template <typename T>
void max_pool2d_forward(const T* input, T* output, int64_t* indices, const PoolWindow& w) {
  const WindowSpans rows(w.out_h, w.in_h, w.kernel_h, w.stride_h, w.pad_h, w.dilation_h);
  const WindowSpans cols(w.out_w, w.in_w, w.kernel_w, w.stride_w, w.pad_w, w.dilation_w);
  const auto [whole_begin, whole_end] = whole_windows(cols, w.kernel_w);
  // float SIMD runs carry int32 indices.
  const bool simd = sizeof(T) == 8 || w.in_h * w.in_w < (int64_t{1} << 31);
  const int64_t in_plane = w.in_h * w.in_w, out_plane = w.out_h * w.out_w;

#pragma omp parallel for schedule(static) num_threads(threads_for(w.planes, w.planes* in_plane))
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * in_plane;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      T* out = output + p * out_plane + oh * w.out_w;
      int64_t* out_index = indices + p * out_plane + oh * w.out_w;
      const auto scalar = [&](int64_t ow) {
        max_window(plane, w.in_w, rows.first[oh], rows.count[oh], w.dilation_h, cols.first[ow],
                   cols.count[ow], w.dilation_w, out + ow, out_index + ow);
      };
      int64_t ow = 0;
      for (; ow < whole_begin; ++ow) scalar(ow);
      if (simd) ow = max_row_simd(plane, w, rows, oh, ow, whole_end, out, out_index);
      for (; ow < w.out_w; ++ow) scalar(ow);
    }
  }
}

template <typename T>
void max_pool2d_forward_reference(const T* input, T* output, int64_t* indices,
                                  const PoolWindow& w) {
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * w.in_h * w.in_w;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        T best = -std::numeric_limits<T>::infinity();
        int64_t where = -1;
        for (int64_t kh = 0; kh < w.kernel_h; ++kh) {
          const int64_t ih = oh * w.stride_h - w.pad_h + kh * w.dilation_h;
          if (ih < 0 || ih >= w.in_h) continue;
          for (int64_t kw = 0; kw < w.kernel_w; ++kw) {
            const int64_t iw = ow * w.stride_w - w.pad_w + kw * w.dilation_w;
            if (iw < 0 || iw >= w.in_w) continue;
            const T value = plane[ih * w.in_w + iw];
            // The first valid tap is taken whatever its value (a window of -inf keeps it).
            if (where < 0 || replaces(value, best)) {
              best = value;
              where = ih * w.in_w + iw;
            }
          }
        }
        const int64_t o = (p * w.out_h + oh) * w.out_w + ow;
        output[o] = best;
        indices[o] = where;
      }
    }
  }
}

template <typename T>
bool max_pool_backward(const T* grad_output, const int64_t* indices, T* grad_input, int64_t planes,
                       int64_t in_size, int64_t out_size) {
  bool valid = true;
#pragma omp parallel for schedule(static) num_threads(threads_for(planes, planes* in_size)) \
    reduction(&& : valid)
  for (int64_t p = 0; p < planes; ++p) {
    T* grad_plane = grad_input + p * in_size;
    std::fill(grad_plane, grad_plane + in_size, T(0));
    const T* grad = grad_output + p * out_size;
    const int64_t* where = indices + p * out_size;
    for (int64_t o = 0; o < out_size; ++o) {
      const int64_t index = where[o];
      // One unsigned compare tests both bounds; a bad index is skipped and reported.
      if (static_cast<uint64_t>(index) < static_cast<uint64_t>(in_size)) {
        grad_plane[index] += grad[o];
      } else {
        valid = false;
      }
    }
  }
  return valid;
}

template <typename T>
bool max_pool_backward_reference(const T* grad_output, const int64_t* indices, T* grad_input,
                                 int64_t planes, int64_t in_size, int64_t out_size) {
  bool valid = true;
  std::fill(grad_input, grad_input + planes * in_size, T(0));
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t o = 0; o < out_size; ++o) {
      const int64_t index = indices[p * out_size + o];
      if (index < 0 || index >= in_size) {
        valid = false;
        continue;
      }
      grad_input[p * in_size + index] += grad_output[p * out_size + o];
    }
  }
  return valid;
}

// --------------------------------------------------------------------- average pooling
namespace {

#ifdef PYBIGML_HAVE_AVX2_FMA
// The sum of a register's lanes, folding halves: 8 -> 4 -> 2 -> 1 (float), 4 -> 2 -> 1 (double).
inline float lane_sum(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
}
inline double lane_sum(__m256d v) {
  const __m128d x = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(x, _mm_unpackhi_pd(x, x)));
}
#endif

// Sum of x[0 .. n), with SIMD accumulators when built with AVX2: two registers while 2 * kLanes
// values remain (independent adds overlap), then one, then the scalar tail. Short runs (a
// 7 x 7 plane) are common, so the lanes are folded in registers rather than through memory.
template <typename T>
inline T sum_run(const T* x, int64_t n) {
  int64_t i = 0;
  T total = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  constexpr int kLanes = V::kLanes;
  if (n >= kLanes) {
    typename V::Reg acc0 = V::load(x), acc1 = V::zero();
    for (i = kLanes; i + 2 * kLanes <= n; i += 2 * kLanes) {
      acc0 = V::add(acc0, V::load(x + i));
      acc1 = V::add(acc1, V::load(x + i + kLanes));
    }
    if (i + kLanes <= n) {
      acc0 = V::add(acc0, V::load(x + i));
      i += kLanes;
    }
    total = lane_sum(V::add(acc0, acc1));
  }
#endif
  for (; i < n; ++i) total += x[i];
  return total;
}

#ifdef PYBIGML_HAVE_AVX2_FMA
inline __m256 divide(__m256 x, __m256 y) { return _mm256_div_ps(x, y); }
inline __m256d divide(__m256d x, __m256d y) { return _mm256_div_pd(x, y); }
#endif

// The outputs [ow_begin, ow_end) of output row oh, all windows whole horizontally and sharing
// `divisor`, by SIMD runs that add the taps of kLanes windows in row-major order (PyTorch's
// order) when built with AVX2 and stride_w is 1 or 2; returns the first column not computed.
template <typename T>
int64_t avg_row_simd(const T* plane, const PoolWindow& w, const WindowSpans& rows, int64_t oh,
                     int64_t ow_begin, int64_t ow_end, T divisor, T* out) {
#ifdef PYBIGML_HAVE_AVX2_FMA
  const int64_t sw = w.stride_w;
  if (sw != 1 && sw != 2) return ow_begin;
  using V = simd::Vec<T>;
  constexpr int kLanes = V::kLanes;
  const typename V::Reg lane_divisor = V::broadcast(divisor);
  const T* row0 = plane + rows.first[oh] * w.in_w;
  int64_t ow = ow_begin;
  for (; ow + kLanes <= ow_end && (ow * sw - w.pad_w + w.kernel_w - 1) + kLanes * sw <= w.in_w;
       ow += kLanes) {
    typename V::Reg sum = V::zero();
    const T* corner = row0 + ow * sw - w.pad_w;
    for (int64_t r = 0; r < rows.count[oh]; ++r) {
      for (int64_t kw = 0; kw < w.kernel_w; ++kw) {
        sum = V::add(sum, load_strided(corner + r * w.in_w + kw, sw));
      }
    }
    V::store(out + ow, divide(sum, lane_divisor));
  }
  return ow;
#else
  (void)plane, (void)w, (void)rows, (void)oh, (void)ow_end, (void)divisor, (void)out;
  return ow_begin;
#endif
}

// The divisor of average window (oh, ow), as PyTorch computes it.
inline int64_t avg_divisor(const WindowSpans& rows, const WindowSpans& cols, int64_t oh, int64_t ow,
                           AvgDivisor divisor) {
  if (divisor.divisor_override != 0) return divisor.divisor_override;
  if (divisor.count_include_pad) {
    return (rows.end_padded[oh] - rows.edge[oh]) * (cols.end_padded[ow] - cols.edge[ow]);
  }
  return rows.count[oh] * cols.count[ow];
}

// The reference's window: [start, end) clipped to the padded border, then to the input.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};

AvgWindow reference_avg_window(const PoolWindow& w, int64_t oh, int64_t ow, AvgDivisor divisor) {
  int64_t h0 = oh * w.stride_h - w.pad_h, w0 = ow * w.stride_w - w.pad_w;
  int64_t h1 = std::min(h0 + w.kernel_h, w.in_h + w.pad_h);
  int64_t w1 = std::min(w0 + w.kernel_w, w.in_w + w.pad_w);
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, w.in_h), w1 = std::min(w1, w.in_w);
  const int64_t d = divisor.divisor_override != 0 ? divisor.divisor_override
                    : divisor.count_include_pad   ? padded_size
                                                  : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, d};
}

}  // namespace

template <typename T>
void avg_pool2d_forward(const T* input, T* output, const PoolWindow& w, AvgDivisor divisor) {
  const WindowSpans rows(w.out_h, w.in_h, w.kernel_h, w.stride_h, w.pad_h, 1);
  const WindowSpans cols(w.out_w, w.in_w, w.kernel_w, w.stride_w, w.pad_w, 1);
  const auto [whole_begin, whole_end] = whole_windows(cols, w.kernel_w);
  const int64_t in_plane = w.in_h * w.in_w, out_plane = w.out_h * w.out_w;
#pragma omp parallel for schedule(static) num_threads(threads_for(w.planes, w.planes* in_plane))
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * in_plane;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      T* out = output + p * out_plane + oh * w.out_w;
      const T* row0 = plane + rows.first[oh] * w.in_w;
      const auto scalar = [&](int64_t ow) {
        const int64_t width = cols.count[ow];
        const T* corner = row0 + cols.first[ow];
        T sum = 0;
        if (width == w.in_w) {
          sum = sum_run(corner, rows.count[oh] * width);  // whole rows: one contiguous run
        } else {
          for (int64_t r = 0; r < rows.count[oh]; ++r) sum += sum_run(corner + r * w.in_w, width);
        }
        const bool empty = rows.count[oh] == 0 || width == 0;
        out[ow] = empty ? T(0) : sum / static_cast<T>(avg_divisor(rows, cols, oh, ow, divisor));
      };
      int64_t ow = 0;
      for (; ow < whole_begin; ++ow) scalar(ow);
      if (rows.count[oh] > 0 && whole_begin < whole_end) {
        const T run_divisor = static_cast<T>(avg_divisor(rows, cols, oh, whole_begin, divisor));
        ow = avg_row_simd(plane, w, rows, oh, ow, whole_end, run_divisor, out);
      }
      for (; ow < w.out_w; ++ow) scalar(ow);
    }
  }
}

template <typename T>
void avg_pool2d_forward_reference(const T* input, T* output, const PoolWindow& w,
                                  AvgDivisor divisor) {
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * w.in_h * w.in_w;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const AvgWindow a = reference_avg_window(w, oh, ow, divisor);
        T sum = 0;
        for (int64_t ih = a.h0; ih < a.h1; ++ih) {
          for (int64_t iw = a.w0; iw < a.w1; ++iw) sum += plane[ih * w.in_w + iw];
        }
        const bool empty = a.h0 >= a.h1 || a.w0 >= a.w1;
        output[(p * w.out_h + oh) * w.out_w + ow] = empty ? T(0) : sum / static_cast<T>(a.divisor);
      }
    }
  }
}

template <typename T>
void avg_pool2d_backward(const T* grad_output, T* grad_input, const PoolWindow& w,
                         AvgDivisor divisor) {
  const WindowSpans rows(w.out_h, w.in_h, w.kernel_h, w.stride_h, w.pad_h, 1);
  const WindowSpans cols(w.out_w, w.in_w, w.kernel_w, w.stride_w, w.pad_w, 1);
  const int64_t in_plane = w.in_h * w.in_w, out_plane = w.out_h * w.out_w;
#pragma omp parallel for schedule(static) num_threads(threads_for(w.planes, w.planes* in_plane))
  for (int64_t p = 0; p < w.planes; ++p) {
    T* grad_plane = grad_input + p * in_plane;
    std::fill(grad_plane, grad_plane + in_plane, T(0));
    const T* grad = grad_output + p * out_plane;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      T* row0 = grad_plane + rows.first[oh] * w.in_w;
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        if (rows.count[oh] == 0 || cols.count[ow] == 0) continue;
        const T share =
            grad[oh * w.out_w + ow] / static_cast<T>(avg_divisor(rows, cols, oh, ow, divisor));
        T* corner = row0 + cols.first[ow];
        for (int64_t r = 0; r < rows.count[oh]; ++r) {
          T* row = corner + r * w.in_w;
          for (int64_t c = 0; c < cols.count[ow]; ++c) row[c] += share;
        }
      }
    }
  }
}

template <typename T>
void avg_pool2d_backward_reference(const T* grad_output, T* grad_input, const PoolWindow& w,
                                   AvgDivisor divisor) {
  std::fill(grad_input, grad_input + w.planes * w.in_h * w.in_w, T(0));
  for (int64_t p = 0; p < w.planes; ++p) {
    T* grad_plane = grad_input + p * w.in_h * w.in_w;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const AvgWindow a = reference_avg_window(w, oh, ow, divisor);
        const T share = grad_output[(p * w.out_h + oh) * w.out_w + ow] / static_cast<T>(a.divisor);
        for (int64_t ih = a.h0; ih < a.h1; ++ih) {
          for (int64_t iw = a.w0; iw < a.w1; ++iw) grad_plane[ih * w.in_w + iw] += share;
        }
      }
    }
  }
}

// -------------------------------------------------------------------- adaptive pooling
namespace {

// [start, end) of adaptive window o of `out` over `in` positions: floor(o * in / out) to
// ceil((o + 1) * in / out).
inline int64_t adaptive_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
inline int64_t adaptive_end(int64_t o, int64_t in, int64_t out) {
  return ((o + 1) * in + out - 1) / out;
}

// The windows along one axis in the WindowSpans form (stride and dilation do not apply).
WindowSpans adaptive_spans(int64_t out, int64_t in) {
  WindowSpans spans(0, 0, 0, 1, 0, 1);
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = adaptive_start(o, in, out);
    const int64_t count = adaptive_end(o, in, out) - start;
    spans.first.push_back(start);
    spans.count.push_back(count);
    spans.edge.push_back(start);
    spans.end_padded.push_back(start + count);
  }
  return spans;
}

}  // namespace

template <typename T>
void adaptive_avg_pool2d_forward(const T* input, T* output, const PoolWindow& w) {
  const WindowSpans rows = adaptive_spans(w.out_h, w.in_h);
  const WindowSpans cols = adaptive_spans(w.out_w, w.in_w);
  const int64_t in_plane = w.in_h * w.in_w, out_plane = w.out_h * w.out_w;
#pragma omp parallel for schedule(static) num_threads(threads_for(w.planes, w.planes* in_plane))
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * in_plane;
    T* out = output + p * out_plane;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const T* corner = plane + rows.first[oh] * w.in_w + cols.first[ow];
        const int64_t width = cols.count[ow];
        T sum = 0;
        if (width == w.in_w) {
          sum = sum_run(corner, rows.count[oh] * width);
        } else {
          for (int64_t r = 0; r < rows.count[oh]; ++r) sum += sum_run(corner + r * w.in_w, width);
        }
        out[oh * w.out_w + ow] = sum / static_cast<T>(rows.count[oh] * width);
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_forward_reference(const T* input, T* output, const PoolWindow& w) {
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * w.in_h * w.in_w;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, w.in_h, w.out_h);
      const int64_t h1 = adaptive_end(oh, w.in_h, w.out_h);
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, w.in_w, w.out_w);
        const int64_t w1 = adaptive_end(ow, w.in_w, w.out_w);
        T sum = 0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) sum += plane[ih * w.in_w + iw];
        }
        output[(p * w.out_h + oh) * w.out_w + ow] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_backward(const T* grad_output, T* grad_input, const PoolWindow& w) {
  const WindowSpans rows = adaptive_spans(w.out_h, w.in_h);
  const WindowSpans cols = adaptive_spans(w.out_w, w.in_w);
  const int64_t in_plane = w.in_h * w.in_w, out_plane = w.out_h * w.out_w;
#pragma omp parallel for schedule(static) num_threads(threads_for(w.planes, w.planes* in_plane))
  for (int64_t p = 0; p < w.planes; ++p) {
    T* grad_plane = grad_input + p * in_plane;
    std::fill(grad_plane, grad_plane + in_plane, T(0));
    const T* grad = grad_output + p * out_plane;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const T share = grad[oh * w.out_w + ow] / static_cast<T>(rows.count[oh] * cols.count[ow]);
        T* corner = grad_plane + rows.first[oh] * w.in_w + cols.first[ow];
        for (int64_t r = 0; r < rows.count[oh]; ++r) {
          T* row = corner + r * w.in_w;
          for (int64_t c = 0; c < cols.count[ow]; ++c) row[c] += share;
        }
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_backward_reference(const T* grad_output, T* grad_input,
                                            const PoolWindow& w) {
  std::fill(grad_input, grad_input + w.planes * w.in_h * w.in_w, T(0));
  for (int64_t p = 0; p < w.planes; ++p) {
    T* grad_plane = grad_input + p * w.in_h * w.in_w;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, w.in_h, w.out_h);
      const int64_t h1 = adaptive_end(oh, w.in_h, w.out_h);
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, w.in_w, w.out_w);
        const int64_t w1 = adaptive_end(ow, w.in_w, w.out_w);
        const T share =
            grad_output[(p * w.out_h + oh) * w.out_w + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) grad_plane[ih * w.in_w + iw] += share;
        }
      }
    }
  }
}

template <typename T>
void adaptive_max_pool2d_forward(const T* input, T* output, int64_t* indices, const PoolWindow& w) {
  const WindowSpans rows = adaptive_spans(w.out_h, w.in_h);
  const WindowSpans cols = adaptive_spans(w.out_w, w.in_w);
  const int64_t in_plane = w.in_h * w.in_w, out_plane = w.out_h * w.out_w;
#pragma omp parallel for schedule(static) num_threads(threads_for(w.planes, w.planes* in_plane))
  for (int64_t p = 0; p < w.planes; ++p) {
    const int64_t o = p * out_plane;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const int64_t at = o + oh * w.out_w + ow;
        max_window(input + p * in_plane, w.in_w, rows.first[oh], rows.count[oh], 1, cols.first[ow],
                   cols.count[ow], 1, output + at, indices + at);
      }
    }
  }
}

template <typename T>
void adaptive_max_pool2d_forward_reference(const T* input, T* output, int64_t* indices,
                                           const PoolWindow& w) {
  for (int64_t p = 0; p < w.planes; ++p) {
    const T* plane = input + p * w.in_h * w.in_w;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, w.in_h, w.out_h);
      const int64_t h1 = adaptive_end(oh, w.in_h, w.out_h);
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, w.in_w, w.out_w);
        const int64_t w1 = adaptive_end(ow, w.in_w, w.out_w);
        T best = plane[h0 * w.in_w + w0];
        int64_t where = h0 * w.in_w + w0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) {
            if (replaces(plane[ih * w.in_w + iw], best)) {
              best = plane[ih * w.in_w + iw];
              where = ih * w.in_w + iw;
            }
          }
        }
        output[(p * w.out_h + oh) * w.out_w + ow] = best;
        indices[(p * w.out_h + oh) * w.out_w + ow] = where;
      }
    }
  }
}

#define PYBIGML_INSTANTIATE_POOL(T)                                                            \
  template void max_pool2d_forward<T>(const T*, T*, int64_t*, const PoolWindow&);              \
  template void max_pool2d_forward_reference<T>(const T*, T*, int64_t*, const PoolWindow&);    \
  template bool max_pool_backward<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t); \
  template bool max_pool_backward_reference<T>(const T*, const int64_t*, T*, int64_t, int64_t, \
                                               int64_t);                                       \
  template void avg_pool2d_forward<T>(const T*, T*, const PoolWindow&, AvgDivisor);            \
  template void avg_pool2d_forward_reference<T>(const T*, T*, const PoolWindow&, AvgDivisor);  \
  template void avg_pool2d_backward<T>(const T*, T*, const PoolWindow&, AvgDivisor);           \
  template void avg_pool2d_backward_reference<T>(const T*, T*, const PoolWindow&, AvgDivisor); \
  template void adaptive_avg_pool2d_forward<T>(const T*, T*, const PoolWindow&);               \
  template void adaptive_avg_pool2d_forward_reference<T>(const T*, T*, const PoolWindow&);     \
  template void adaptive_avg_pool2d_backward<T>(const T*, T*, const PoolWindow&);              \
  template void adaptive_avg_pool2d_backward_reference<T>(const T*, T*, const PoolWindow&);    \
  template void adaptive_max_pool2d_forward<T>(const T*, T*, int64_t*, const PoolWindow&);     \
  template void adaptive_max_pool2d_forward_reference<T>(const T*, T*, int64_t*, const PoolWindow&);

PYBIGML_INSTANTIATE_POOL(float)
PYBIGML_INSTANTIATE_POOL(double)

}  // namespace pybigml
