// 2-D convolution on the CPU by lowering to GEMM (im2col / col2im around pybigml::gemm), with a
// direct path for convolutions with few output channels per group.
//
// One sample of a group-g convolution is one matrix product. Unfold the sample's input into
// the column matrix `col` (im2col): row (c, i, j) of col, for input channel c and kernel tap
// (i, j), holds for every output position q = (y, x) the input value that tap reads there,
// zero in the padding. With K = in_channels / groups * kernel_h * kernel_w rows and
// P = out_h * out_w columns per group, and W_g the group's (out_channels / groups, K) weight:
//
//   forward        out_g     = W_g @ col_g                           (cout_g x K) @ (K x P)
//   grad-input     col_g     = W_g^T @ grad_out_g, then col2im      (K x cout_g) @ (cout_g x P)
//   grad-weight    gW_g^T   += col_g @ grad_out_g^T, over samples    (K x P) @ (P x cout_g)
//
// col2im is im2col's adjoint: each entry of col is added back to the input position it was
// read from. The transposed operands (W_g^T, grad_out_g^T) are views that gemm packs in place.
// grad-weight is computed transposed, (K x cout_g), because cout_g is usually the larger side
// and gemm's register tile is wider (16) than tall (6): a first layer with K = 9 then wastes
// no lanes. A 1x1 convolution with stride 1 and no padding needs no im2col: the input (and
// grad_input) already is the column matrix.
//
// The forward writes col straight into gemm's packed layout (im2col_packed: for every 16
// consecutive output positions, or 8 in double, and every tap row, the values they read, read
// from a zero-padded copy of the sample's input planes) and multiplies it by
// gemm_prepacked_b, which skips gemm's own packing of B. The output starts at the bias and the
// products add to it. The grad-input and grad-weight products, whose col is gemm's output or
// A operand, go through gemm.
//
// Blocking: col is built for a block of output positions at a time, sized so the block
// (kColumnBudget bytes) stays in L2 from im2col to gemm's use (or packing) of it, or from gemm to
// col2im; gemm then blocks each product for its own register tile and caches.
//
// Bound: the products cost 2 * batch * out_channels * K * P flops and run at gemm's speed
// (near the FMA peak for large K and P). im2col writes K * P values per sample and group, which
// the forward's product then reads once; the other two pass over col once more (gemm's packing,
// or col2im). For 32 -> 64 channels with a 3x3 kernel on 11x11 to 24x24 outputs, the forward
// takes about 1.0-1.1x the time of its product alone, measured.
//
// The direct path (use_direct: at most 2 output channels per group, e.g. depthwise) adds each
// weight times a shifted input row into an output row; see direct_forward.
//
// Threads: with at least as many samples as threads, the samples are shared among threads
// (dynamically, so a thread the OS deschedules on a busy machine holds up one sample, not a
// fixed share) and each runs its own im2col and single-threaded products on a private column
// buffer (gemm and gemm_prepacked_b, called inside a parallel region, run on the calling
// thread and open no nested region, so there are never more threads than cores asked for);
// grad-weight sums the threads' private accumulators at the end. With fewer
// samples, the samples run in turn and gemm splits each product among the threads.
//
// The *_reference functions compute the defining sums by direct loops on one thread.
#include "pybigml/conv.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>

#include "pybigml/gemm.h"
#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace pybigml {
namespace {

int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

// Sizes derived from a ConvShape that every kernel uses.
struct ConvSizes {
  int64_t cin_g;       // input channels per group
  int64_t cout_g;      // output channels per group
  int64_t k;           // rows of a group's column matrix: cin_g * kernel_h * kernel_w
  int64_t p;           // output positions per channel: out_h * out_w
  int64_t in_plane;    // in_h * in_w
  int64_t in_sample;   // in_channels * in_plane
  int64_t out_sample;  // out_channels * p
};

ConvSizes sizes_of(const ConvShape& s) {
  const int64_t cin_g = s.in_channels / s.groups;
  const int64_t plane = s.in_h * s.in_w;
  const int64_t p = s.out_h * s.out_w;
  return {cin_g,
          s.out_channels / s.groups,
          cin_g * s.kernel_h * s.kernel_w,
          p,
          plane,
          s.in_channels * plane,
          s.out_channels * p};
}

// A 1x1 kernel with stride 1 and no padding reads the input as it is: col == input.
bool input_is_col(const ConvShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 &&
         s.pad_w == 0;
}

// The output columns [begin, end) whose input column x * stride + offset lies in [0, width).
std::pair<int64_t, int64_t> valid_columns(int64_t out_w, int64_t stride, int64_t offset,
                                          int64_t width) {
  const int64_t begin = offset >= 0 ? 0 : ceil_div(-offset, stride);
  const int64_t end = width - offset <= 0 ? 0 : (width - 1 - offset) / stride + 1;
  const int64_t clamped_begin = std::min(begin, out_w);
  return {clamped_begin, std::clamp(end, clamped_begin, out_w)};
}

// Calls visit(row, begin, end, valid_begin, valid_end, src_offset) for every tap row
// = (c, i, j) of `channels` input channels and every output row y that meets [q_begin, q_end):
// [begin, end) are the output positions q = y * out_w + x of that row inside the block, and
// [valid_begin, valid_end) within them (maybe empty) those at which the tap reads inside the
// image: col[row][q] pairs with image[src_offset + (q - valid_begin) * stride_w] there and
// with padding (zero) elsewhere.
template <typename Visit>
void for_each_tap_run(const ConvShape& s, int64_t channels, int64_t q_begin, int64_t q_end,
                      Visit&& visit) {
  const int64_t y_first = q_begin / s.out_w;
  const int64_t y_last = (q_end - 1) / s.out_w;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < s.kernel_h; ++i) {
      for (int64_t j = 0; j < s.kernel_w; ++j) {
        const int64_t row = (c * s.kernel_h + i) * s.kernel_w + j;
        const int64_t x_offset = j * s.dilation_w - s.pad_w;
        const auto [x_begin, x_end] = valid_columns(s.out_w, s.stride_w, x_offset, s.in_w);
        for (int64_t y = y_first; y <= y_last; ++y) {
          const int64_t row_start = y * s.out_w;
          const int64_t begin = std::max(row_start, q_begin);
          const int64_t end = std::min(row_start + s.out_w, q_end);
          const int64_t in_y = y * s.stride_h - s.pad_h + i * s.dilation_h;
          if (in_y < 0 || in_y >= s.in_h) {
            visit(row, begin, end, begin, begin, int64_t{0});
            continue;
          }
          const int64_t lo = std::clamp(row_start + x_begin, begin, end);
          const int64_t hi = std::clamp(row_start + x_end, lo, end);
          const int64_t src_x = (lo - row_start) * s.stride_w + x_offset;
          visit(row, begin, end, lo, hi, (c * s.in_h + in_y) * s.in_w + src_x);
        }
      }
    }
  }
}

// dst[t] = src[t * stride] and dst[t] += src[t * stride] for t in [0, count). The runs are short
// (an output row), so the unit-stride case is a vector loop rather than a memmove call.
template <typename T>
void copy_run(T* dst, const T* src, int64_t count, int64_t stride) {
  int64_t t = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  if (stride == 1) {
    for (; t + V::kLanes <= count; t += V::kLanes) V::store(dst + t, V::load(src + t));
  }
#endif
  for (; t < count; ++t) dst[t] = src[t * stride];
}

// dst[t * stride] += alpha * src[t] for t in [0, count): col2im (alpha = 1) and the direct
// grad-input.
template <typename T>
void scatter_axpy(T* dst, const T* src, int64_t count, int64_t stride, T alpha) {
  int64_t t = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  if (stride == 1) {
    const auto a = V::broadcast(alpha);
    for (; t + V::kLanes <= count; t += V::kLanes) {
      V::store(dst + t, V::fma(a, V::load(src + t), V::load(dst + t)));
    }
  }
#endif
  for (; t < count; ++t) dst[t * stride] += alpha * src[t];
}

// dst[t] += alpha * src[t * stride] for t in [0, count): the direct forward.
template <typename T>
void gather_axpy(T* dst, const T* src, int64_t count, int64_t stride, T alpha) {
  int64_t t = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  if (stride == 1) {
    const auto a = V::broadcast(alpha);
    for (; t + V::kLanes <= count; t += V::kLanes) {
      V::store(dst + t, V::fma(a, V::load(src + t), V::load(dst + t)));
    }
  }
#endif
  for (; t < count; ++t) dst[t] += alpha * src[t * stride];
}

// sum over t in [0, count) of x[t * stride] * y[t]: the direct grad-weight.
template <typename T>
T gather_dot(const T* x, const T* y, int64_t count, int64_t stride) {
  int64_t t = 0;
  T sum = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  if (stride == 1 && count >= V::kLanes) {
    auto acc = V::zero();
    for (; t + V::kLanes <= count; t += V::kLanes)
      acc = V::fma(V::load(x + t), V::load(y + t), acc);
    alignas(32) T lanes[V::kLanes];
    V::store(lanes, acc);
    for (T lane : lanes) sum += lane;
  }
#endif
  for (; t < count; ++t) sum += x[t * stride] * y[t];
  return sum;
}

// Columns [q_begin, q_end) of the column matrix of `image` (channels, in_h, in_w), into col
// (channels * kernel_h * kernel_w rows of q_end - q_begin values), each element written once.
template <typename T>
void im2col(const ConvShape& s, const T* image, int64_t channels, int64_t q_begin, int64_t q_end,
            T* col) {
  const int64_t width = q_end - q_begin;
  for_each_tap_run(
      s, channels, q_begin, q_end,
      [&](int64_t row, int64_t begin, int64_t end, int64_t lo, int64_t hi, int64_t src_offset) {
        T* dst = col + row * width;  // dst[q - q_begin] is position q
        std::fill(dst + (begin - q_begin), dst + (lo - q_begin), T(0));
        copy_run(dst + (lo - q_begin), image + src_offset, hi - lo, s.stride_w);
        std::fill(dst + (hi - q_begin), dst + (end - q_begin), T(0));
      });
}

// The zero-padded copy of `channels` planes of an image that im2col_packed reads: each plane
// (in_h + 2 pad_h) x (in_w + 2 pad_w), so that every tap reads inside it, the padding as real
// zeros. padded_image_size counts kCopySlack elements more, which copy_panel_run may read past
// the last plane.
constexpr int64_t kCopySlack = 16;

struct PaddedPlanes {
  int64_t height, width;
};

PaddedPlanes padded_planes(const ConvShape& s) {
  return {s.in_h + 2 * s.pad_h, s.in_w + 2 * s.pad_w};
}

int64_t padded_image_size(const ConvShape& s, int64_t channels) {
  const PaddedPlanes pp = padded_planes(s);
  return channels * pp.height * pp.width + kCopySlack;
}

template <typename T>
void pad_image(const ConvShape& s, const T* image, int64_t channels, T* padded) {
  const PaddedPlanes pp = padded_planes(s);
  for (int64_t c = 0; c < channels; ++c) {
    T* plane = padded + c * pp.height * pp.width;
    std::fill(plane, plane + s.pad_h * pp.width, T(0));
    for (int64_t y = 0; y < s.in_h; ++y) {
      T* row = plane + (y + s.pad_h) * pp.width;
      std::fill(row, row + s.pad_w, T(0));
      std::copy(image + (c * s.in_h + y) * s.in_w, image + (c * s.in_h + y + 1) * s.in_w,
                row + s.pad_w);
      std::fill(row + s.pad_w + s.in_w, row + pp.width, T(0));
    }
    std::fill(plane + (s.pad_h + s.in_h) * pp.width, plane + pp.height * pp.width, T(0));
  }
  std::fill(padded + channels * pp.height * pp.width,
            padded + channels * pp.height * pp.width + kCopySlack, T(0));
}

// dst[t] = src[t * stride] for t in [0, count), where with stride 1 whole vectors are copied:
// up to kLanes - 1 values past `count` are read (from the padded image's slack at worst) and
// written (the caller's next run, or a lane it sets afterwards, overwrites them).
template <typename T>
void copy_panel_run(T* dst, const T* src, int64_t count, int64_t stride) {
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  if (stride == 1) {
    for (int64_t t = 0; t < count; t += V::kLanes) V::store(dst + t, V::load(src + t));
    return;
  }
#endif
  for (int64_t t = 0; t < count; ++t) dst[t] = src[t * stride];
}

// Columns [q_begin, q_end) of the column matrix of an image, from its padded copy (pad_image),
// written in the packed layout of gemm_prepacked_b's B (gemm.h): for each panel of W
// consecutive output positions and each tap row (c, i, j), the W values the tap reads at those
// positions, zeros past q_end. A panel's positions fall into runs, one per output row it
// meets, and each run reads consecutive (stride_w apart) values of one padded row for every
// tap: so the runs are found once per panel and then copied for each of the K tap rows.
// `packed` holds packed_b_size(K, q_end - q_begin) + W elements (the last copy may spill W - 1).
template <typename T>
void im2col_packed(const ConvShape& s, const T* padded, int64_t channels, int64_t q_begin,
                   int64_t q_end, T* packed) {
  constexpr int64_t kWidth = packed_b_panel_width<T>();
  const int64_t rows = channels * s.kernel_h * s.kernel_w;
  const PaddedPlanes pp = padded_planes(s);
  struct Run {
    int64_t lane, count, offset;  // lanes [lane, lane + count) read padded[offset + ...]
  };
  for (int64_t q0 = q_begin; q0 < q_end; q0 += kWidth, packed += kWidth * rows) {
    Run runs[kWidth];
    int64_t run_count = 0;
    const int64_t panel_end = std::min(q_end, q0 + kWidth);
    for (int64_t q = q0; q < panel_end; ++run_count) {
      const int64_t y = q / s.out_w;
      const int64_t x = q - y * s.out_w;
      const int64_t count = std::min(panel_end - q, s.out_w - x);
      runs[run_count] = {q - q0, count, y * s.stride_h * pp.width + x * s.stride_w};
      q += count;
    }
    T* dst = packed;
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < s.kernel_h; ++i) {
        for (int64_t j = 0; j < s.kernel_w; ++j, dst += kWidth) {
          const T* src = padded + (c * pp.height + i * s.dilation_h) * pp.width + j * s.dilation_w;
          for (int64_t r = 0; r < run_count; ++r) {
            copy_panel_run(dst + runs[r].lane, src + runs[r].offset, runs[r].count, s.stride_w);
          }
        }
      }
    }
    const int64_t width = panel_end - q0;
    if (width < kWidth) {  // the last panel's lanes past q_end
      for (int64_t row = 0; row < rows; ++row) {
        std::fill(packed + row * kWidth + width, packed + (row + 1) * kWidth, T(0));
      }
    }
  }
}

// image += col2im(col) for col holding columns [q_begin, q_end) as im2col writes them: every
// entry added to the image position it was read from.
template <typename T>
void col2im_add(const ConvShape& s, const T* col, int64_t channels, int64_t q_begin, int64_t q_end,
                T* image) {
  const int64_t width = q_end - q_begin;
  for_each_tap_run(s, channels, q_begin, q_end,
                   [&](int64_t row, int64_t, int64_t, int64_t lo, int64_t hi, int64_t dst_offset) {
                     scatter_axpy(image + dst_offset, col + row * width + (lo - q_begin), hi - lo,
                                  s.stride_w, T(1));
                   });
}

// How many output positions one block of the column matrix spans: all P when the whole matrix
// fits kColumnBudget bytes, else P split evenly into blocks of a multiple of 16 that fit. A
// block then stays in L2 between im2col writing it and gemm packing it (or between gemm and
// col2im), beside gemm's packed copy of it and the weight panel.
constexpr int64_t kColumnBudget = 256 * 1024;

int64_t column_block(int64_t rows, int64_t p, int64_t item_size) {
  const int64_t max_width =
      std::max<int64_t>(64, kColumnBudget / (item_size * std::max<int64_t>(rows, 1)) / 16 * 16);
  if (p <= max_width) return p;
  const int64_t blocks = ceil_div(p, max_width);
  return ceil_div(ceil_div(p, blocks), 16) * 16;
}

// planes[c * plane_size + q] = (bias ? bias[c] : 0) for c in [0, channels): zeroes a gradient or
// starts an output at its bias.
template <typename T>
void fill_planes(T* planes, int64_t channels, int64_t plane_size, const T* bias) {
  for (int64_t c = 0; c < channels; ++c) {
    std::fill(planes + c * plane_size, planes + (c + 1) * plane_size, bias ? bias[c] : T(0));
  }
}

template <typename T>
void add_bias(T* planes, int64_t channels, int64_t plane_size, const T* bias) {
  for (int64_t c = 0; c < channels; ++c) {
    T* plane = planes + c * plane_size;
    for (int64_t q = 0; q < plane_size; ++q) plane[q] += bias[c];
  }
}

// A grow-only, 64-byte aligned scratch buffer owned by the calling thread: repeated calls
// allocate nothing (a fresh multi-megabyte buffer is page-faulted in on every call).
template <typename T>
T* workspace(int64_t count) {
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<T, Free> buffer;
  thread_local int64_t capacity = 0;
  if (count > capacity) {
    const size_t bytes = (static_cast<size_t>(count) * sizeof(T) + 63) / 64 * 64;
    T* fresh = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (fresh == nullptr) throw std::bad_alloc();
    buffer.reset(fresh);
    capacity = count;
  }
  return buffer.get();
}

// How many threads split the samples: all of them when there is a sample for each (gemm and
// gemm_prepacked_b, called from inside the parallel region, then run on their caller's thread
// whatever OpenMP's nesting setting); otherwise 1, and gemm splits each product.
int sample_threads(int64_t batch) {
  const int threads = get_num_threads();
  return threads > 1 && batch >= threads ? threads : 1;
}

// `count` elements rounded up to a multiple of 16, so that consecutive slots of a workspace
// all start 64-byte aligned.
int64_t slot_size(int64_t count) { return (count + 15) / 16 * 16; }

// Runs body(n, scratch + t * slot, t) for every sample n, on `threads` threads (see
// sample_threads), t being the running thread. scratch holds threads * slot elements and is
// allocated by the caller before the parallel region, where an allocation failure is still an
// exception.
template <typename T, typename Body>
void for_each_sample(int64_t batch, int threads, T* scratch, int64_t slot, Body&& body) {
  if (threads == 1) {
    for (int64_t n = 0; n < batch; ++n) body(n, scratch, 0);
    return;
  }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t n = 0; n < batch; ++n) {
    const int thread = omp_get_thread_num();
    body(n, scratch + thread * slot, thread);
  }
}

// The direct path, for few output channels per group (depthwise convolutions above all),
// where gemm's 6-row register tile would be mostly empty: each (output channel, input channel,
// tap) adds one weight times a shifted input row to an output row, vectorised along the row.
// Every term costs a load, an FMA and a store instead of gemm's fraction of a load, but all in
// L1 (one input and one output plane), and no lane is wasted.
bool use_direct(const ConvSizes& z) { return z.cout_g <= 2; }

// The three kernels on one sample by the direct path. for_each_tap_run over one channel
// visits row = (i, j) = tap index and the output runs where that tap reads inside the image.
template <typename T>
void direct_forward(const ConvShape& s, const ConvSizes& z, const T* image, const T* weight,
                    const T* bias, T* out) {
  const int64_t taps = s.kernel_h * s.kernel_w;
  fill_planes(out, s.out_channels, z.p, bias);
  for (int64_t o = 0; o < s.out_channels; ++o) {
    const int64_t group = o / z.cout_g;
    for (int64_t c = 0; c < z.cin_g; ++c) {
      const T* channel = image + (group * z.cin_g + c) * z.in_plane;
      const T* w = weight + (o * z.cin_g + c) * taps;
      for_each_tap_run(
          s, 1, 0, z.p, [&](int64_t tap, int64_t, int64_t, int64_t lo, int64_t hi, int64_t src) {
            gather_axpy(out + o * z.p + lo, channel + src, hi - lo, s.stride_w, w[tap]);
          });
    }
  }
}

template <typename T>
void direct_grad_input(const ConvShape& s, const ConvSizes& z, const T* grad, const T* weight,
                       const T* bias, T* image) {
  const int64_t taps = s.kernel_h * s.kernel_w;
  fill_planes(image, s.in_channels, z.in_plane, bias);
  for (int64_t o = 0; o < s.out_channels; ++o) {
    const int64_t group = o / z.cout_g;
    for (int64_t c = 0; c < z.cin_g; ++c) {
      T* channel = image + (group * z.cin_g + c) * z.in_plane;
      const T* w = weight + (o * z.cin_g + c) * taps;
      for_each_tap_run(
          s, 1, 0, z.p, [&](int64_t tap, int64_t, int64_t, int64_t lo, int64_t hi, int64_t dst) {
            scatter_axpy(channel + dst, grad + o * z.p + lo, hi - lo, s.stride_w, w[tap]);
          });
    }
  }
}

// grad_weight += this sample's share.
template <typename T>
void direct_grad_weight(const ConvShape& s, const ConvSizes& z, const T* image, const T* grad,
                        T* grad_weight) {
  const int64_t taps = s.kernel_h * s.kernel_w;
  for (int64_t o = 0; o < s.out_channels; ++o) {
    const int64_t group = o / z.cout_g;
    for (int64_t c = 0; c < z.cin_g; ++c) {
      const T* channel = image + (group * z.cin_g + c) * z.in_plane;
      T* w = grad_weight + (o * z.cin_g + c) * taps;
      for_each_tap_run(
          s, 1, 0, z.p, [&](int64_t tap, int64_t, int64_t, int64_t lo, int64_t hi, int64_t src) {
            w[tap] += gather_dot(channel + src, grad + o * z.p + lo, hi - lo, s.stride_w);
          });
    }
  }
}

}  // namespace

template <typename T>
void conv2d_forward(const ConvShape& s, const T* input, const T* weight, const T* bias, T* output) {
  const ConvSizes z = sizes_of(s);
  if (s.batch == 0 || z.out_sample == 0) return;
  if (use_direct(z)) {
    for_each_sample(
        s.batch, sample_threads(s.batch), static_cast<T*>(nullptr), 0, [&](int64_t n, T*, int) {
          direct_forward(s, z, input + n * z.in_sample, weight, bias, output + n * z.out_sample);
        });
    return;
  }
  const bool col_is_input = input_is_col(s);
  const int threads = sample_threads(s.batch);
  if (col_is_input) {  // out_g = W_g @ input_g: gemm packs the input as it is
    for_each_sample(s.batch, threads, static_cast<T*>(nullptr), 0, [&](int64_t n, T*, int) {
      const T* image = input + n * z.in_sample;
      T* out = output + n * z.out_sample;
      gemm<T>(s.groups, z.cout_g, z.p, z.k, {weight, z.k, z.cout_g * z.k, false},
              {image, z.p, z.k * z.p, false}, {out, z.p, z.cout_g * z.p});
      if (bias != nullptr) add_bias(out, s.out_channels, z.p, bias);
    });
    return;
  }
  // One group's block of col at a time, written by im2col_packed straight into gemm's panel
  // layout from the group's padded input planes.
  const int64_t width = column_block(z.k, z.p, sizeof(T));
  const int64_t col_slot = slot_size(packed_b_size<T>(z.k, width) + packed_b_panel_width<T>());
  const int64_t slot = col_slot + slot_size(padded_image_size(s, z.cin_g));
  T* scratch = workspace<T>(threads * slot);
  for_each_sample(s.batch, threads, scratch, slot, [&](int64_t n, T* col, int) {
    T* padded = col + col_slot;
    T* out = output + n * z.out_sample;
    // With a bias, the output starts at it and the products add to it: no second pass.
    if (bias != nullptr) fill_planes(out, s.out_channels, z.p, bias);
    for (int64_t g = 0; g < s.groups; ++g) {
      pad_image(s, input + n * z.in_sample + g * z.cin_g * z.in_plane, z.cin_g, padded);
      for (int64_t q = 0; q < z.p; q += width) {
        const int64_t q_end = std::min(z.p, q + width);
        // out_g[:, q:q_end] (+)= W_g @ col_g[:, q:q_end].
        im2col_packed(s, padded, z.cin_g, q, q_end, col);
        gemm_prepacked_b<T>(z.cout_g, q_end - q, z.k, {weight + g * z.cout_g * z.k, z.k, 0, false},
                            col, {out + g * z.cout_g * z.p + q, z.p, 0}, bias != nullptr);
      }
    }
  });
}

template <typename T>
void conv2d_grad_input(const ConvShape& s, const T* grad_output, const T* weight, const T* bias,
                       T* grad_input) {
  const ConvSizes z = sizes_of(s);
  if (s.batch == 0 || z.in_sample == 0) return;
  if (use_direct(z)) {
    for_each_sample(s.batch, sample_threads(s.batch), static_cast<T*>(nullptr), 0,
                    [&](int64_t n, T*, int) {
                      direct_grad_input(s, z, grad_output + n * z.out_sample, weight, bias,
                                        grad_input + n * z.in_sample);
                    });
    return;
  }
  const bool col_is_input = input_is_col(s);
  const int64_t width = col_is_input ? z.p : column_block(s.groups * z.k, z.p, sizeof(T));
  const int threads = sample_threads(s.batch);
  const int64_t slot = slot_size(col_is_input ? 0 : s.groups * z.k * width);
  T* scratch = workspace<T>(threads * slot);
  // col_g = W_g^T @ grad_out_g: W_g read transposed in place.
  const InputMatrices<T> weight_t{weight, z.k, z.cout_g * z.k, true};
  for_each_sample(s.batch, threads, scratch, slot, [&](int64_t n, T* col, int) {
    T* image = grad_input + n * z.in_sample;
    const T* grad = grad_output + n * z.out_sample;
    if (col_is_input) {  // the input is its own column matrix: write the product in place
      gemm<T>(s.groups, z.k, z.p, z.cout_g, weight_t, {grad, z.p, z.cout_g * z.p, false},
              {image, z.p, z.k * z.p});
      if (bias != nullptr) add_bias(image, s.in_channels, z.in_plane, bias);
      return;
    }
    fill_planes(image, s.in_channels, z.in_plane, bias);
    for (int64_t q = 0; q < z.p; q += width) {
      const int64_t q_end = std::min(z.p, q + width);
      gemm<T>(s.groups, z.k, q_end - q, z.cout_g, weight_t, {grad + q, z.p, z.cout_g * z.p, false},
              {col, q_end - q, z.k * (q_end - q)});
      col2im_add(s, col, s.in_channels, q, q_end, image);
    }
  });
}

template <typename T>
void conv2d_grad_weight(const ConvShape& s, const T* input, const T* grad_output, T* grad_weight) {
  const ConvSizes z = sizes_of(s);
  const int64_t weight_size = s.out_channels * z.k;
  if (s.batch == 0 || z.p == 0) {
    std::fill(grad_weight, grad_weight + weight_size, T(0));
    return;
  }
  const int threads = sample_threads(s.batch);
  if (use_direct(z)) {  // per thread: a running sum in grad_weight's layout
    const int64_t slot = slot_size(weight_size);
    T* sums = workspace<T>(threads * slot);
    std::fill(sums, sums + threads * slot, T(0));
    for_each_sample(s.batch, threads, sums, slot, [&](int64_t n, T* sum, int) {
      direct_grad_weight(s, z, input + n * z.in_sample, grad_output + n * z.out_sample, sum);
    });
    for (int64_t e = 0; e < weight_size; ++e) {
      T total = 0;
      for (int t = 0; t < threads; ++t) total += sums[t * slot + e];
      grad_weight[e] = total;
    }
    return;
  }
  const bool col_is_input = input_is_col(s);
  const int64_t width = col_is_input ? z.p : column_block(s.groups * z.k, z.p, sizeof(T));
  // Per thread: a block of the column matrix, one block's product and the running sum, the
  // last two transposed per group: (groups, K, cout_g).
  const int64_t col_slot = slot_size(col_is_input ? 0 : s.groups * z.k * width);
  const int64_t sum_slot = slot_size(weight_size);
  const int64_t slot = col_slot + 2 * sum_slot;
  T* scratch = workspace<T>(threads * slot);
  for (int t = 0; t < threads; ++t) {
    T* sum = scratch + t * slot + col_slot + sum_slot;
    std::fill(sum, sum + weight_size, T(0));
  }
  for_each_sample(s.batch, threads, scratch, slot, [&](int64_t n, T* col, int) {
    const T* image = input + n * z.in_sample;
    const T* grad = grad_output + n * z.out_sample;
    T* product = col + col_slot;
    T* sum = product + sum_slot;
    for (int64_t q = 0; q < z.p; q += width) {
      const int64_t q_end = std::min(z.p, q + width);
      InputMatrices<T> cols{image + q, z.p, z.k * z.p, false};
      if (!col_is_input) {
        im2col(s, image, s.in_channels, q, q_end, col);
        cols = {col, q_end - q, z.k * (q_end - q), false};
      }
      // gW_g^T (K, cout_g) += col_g (K, block) @ grad_out_g^T (block, cout_g), grad_out_g
      // read transposed.
      gemm<T>(s.groups, z.k, z.cout_g, q_end - q, cols, {grad + q, z.p, z.cout_g * z.p, true},
              {product, z.cout_g, z.k * z.cout_g});
      for (int64_t e = 0; e < weight_size; ++e) sum[e] += product[e];
    }
  });
  // grad_weight[g * cout_g + o, r] = sum over threads of sums[t][g, r, o].
  const T* sums = scratch + col_slot + sum_slot;
  for (int64_t g = 0; g < s.groups; ++g) {
    for (int64_t o = 0; o < z.cout_g; ++o) {
      T* out_row = grad_weight + (g * z.cout_g + o) * z.k;
      for (int64_t r = 0; r < z.k; ++r) {
        T total = 0;
        for (int t = 0; t < threads; ++t) total += sums[t * slot + (g * z.k + r) * z.cout_g + o];
        out_row[r] = total;
      }
    }
  }
}

// ---------------------------------------------------------------------------- references

namespace {

// Calls tap(n, o, y, x, c, in_y, in_x) for every term of the defining sum whose input position
// is inside the image (c: the input channel, counted over all groups); offsets into the
// weight are the caller's. Plain nested loops, one thread.
template <typename Tap>
void for_each_term(const ConvShape& s, Tap&& tap) {
  const int64_t cin_g = s.in_channels / s.groups;
  const int64_t cout_g = s.out_channels / s.groups;
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t o = 0; o < s.out_channels; ++o) {
      const int64_t g = o / cout_g;
      for (int64_t y = 0; y < s.out_h; ++y) {
        for (int64_t x = 0; x < s.out_w; ++x) {
          for (int64_t c = 0; c < cin_g; ++c) {
            for (int64_t i = 0; i < s.kernel_h; ++i) {
              for (int64_t j = 0; j < s.kernel_w; ++j) {
                const int64_t in_y = y * s.stride_h - s.pad_h + i * s.dilation_h;
                const int64_t in_x = x * s.stride_w - s.pad_w + j * s.dilation_w;
                if (in_y < 0 || in_y >= s.in_h || in_x < 0 || in_x >= s.in_w) continue;
                const int64_t input_index =
                    ((n * s.in_channels + g * cin_g + c) * s.in_h + in_y) * s.in_w + in_x;
                const int64_t weight_index = ((o * cin_g + c) * s.kernel_h + i) * s.kernel_w + j;
                const int64_t output_index = ((n * s.out_channels + o) * s.out_h + y) * s.out_w + x;
                tap(input_index, weight_index, output_index);
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

template <typename T>
void conv2d_forward_reference(const ConvShape& s, const T* input, const T* weight, const T* bias,
                              T* output) {
  for (int64_t n = 0; n < s.batch; ++n) {
    fill_planes(output + n * s.out_channels * s.out_h * s.out_w, s.out_channels, s.out_h * s.out_w,
                bias);
  }
  for_each_term(s,
                [&](int64_t in, int64_t w, int64_t out) { output[out] += weight[w] * input[in]; });
}

template <typename T>
void conv2d_grad_input_reference(const ConvShape& s, const T* grad_output, const T* weight,
                                 const T* bias, T* grad_input) {
  for (int64_t n = 0; n < s.batch; ++n) {
    fill_planes(grad_input + n * s.in_channels * s.in_h * s.in_w, s.in_channels, s.in_h * s.in_w,
                bias);
  }
  for_each_term(s, [&](int64_t in, int64_t w, int64_t out) {
    grad_input[in] += weight[w] * grad_output[out];
  });
}

template <typename T>
void conv2d_grad_weight_reference(const ConvShape& s, const T* input, const T* grad_output,
                                  T* grad_weight) {
  const int64_t weight_size = s.out_channels * (s.in_channels / s.groups) * s.kernel_h * s.kernel_w;
  std::fill(grad_weight, grad_weight + weight_size, T(0));
  for_each_term(s, [&](int64_t in, int64_t w, int64_t out) {
    grad_weight[w] += input[in] * grad_output[out];
  });
}

#define PYBIGML_INSTANTIATE_CONV(T)                                                              \
  template void conv2d_forward<T>(const ConvShape&, const T*, const T*, const T*, T*);           \
  template void conv2d_grad_input<T>(const ConvShape&, const T*, const T*, const T*, T*);        \
  template void conv2d_grad_weight<T>(const ConvShape&, const T*, const T*, T*);                 \
  template void conv2d_forward_reference<T>(const ConvShape&, const T*, const T*, const T*, T*); \
  template void conv2d_grad_input_reference<T>(const ConvShape&, const T*, const T*, const T*,   \
                                               T*);                                              \
  template void conv2d_grad_weight_reference<T>(const ConvShape&, const T*, const T*, T*);

PYBIGML_INSTANTIATE_CONV(float)
PYBIGML_INSTANTIATE_CONV(double)

#undef PYBIGML_INSTANTIATE_CONV

}  // namespace pybigml
