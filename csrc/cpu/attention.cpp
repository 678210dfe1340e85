// Scaled dot-product attention on the CPU, FlashAttention style: out = softmax(q k^T s + mask) v.
//
// The reference kernels below materialise each head's L x S score matrix. The fast ones never
// do (Dao et al., "FlashAttention", NeurIPS 2022; Dao, "FlashAttention-2", 2023):
//
// Forward, one task per (batch, head), K^T and V packed once per task; for each tile of at most
// kForwardQueries queries:
//   for each tile of kForwardKeys keys (tiles wholly above the causal diagonal are skipped):
//     S = (scale log2(e) Q_i) K_j^T + mask log2(e)     scores in base-2 units
//     m_new = max(m, rowmax(S)), P = 2^(S - m_new), with m the running row max, l the running
//     row sum: O *= 2^(m - m_new), l = l 2^(m - m_new) + rowsum(P)
//     O += P V_j
//   out = O / l and lse = (m + log2(l)) ln2, the only things saved: O(B H L) values beside out.
//
// Backward, one task per (batch, head, chunk of key tiles); it recomputes P from q, k and lse:
//   D = rowsum(dO * O) for every query of the head
//   for each key tile j of the chunk, for each query tile i at or below the diagonal:
//     P = exp(Q_i K_j^T scale + mask - lse)   (in base 2, as above)
//     dV_j += P^T dO_i;  dP = dO_i V_j^T;  dS = P * (dP - D)
//     dQ_i += dS K_j scale;  dK_j += dS^T Q_i scale
// dK_j and dV_j stay in tile buffers until their tile is done; dQ for the whole head sits in
// the task's buffer (L x E). With fewer heads than threads, a head is split into chunks of key
// tiles, each with its own dQ, summed at the end. Extra memory per thread is O((L + S) E),
// never O(L S).
//
// Every product is C (+)= A B on tiles in L1/L2. B is packed into kNR-column panels, each
// contiguous (K_j^T and V_j^T through 8 x 8 register transposes); A is read in place through
// any pair of strides, so P^T and dS^T are the score tile with its strides swapped. The
// micro-kernel keeps a kMR x kNR tile of C in 12 AVX registers and issues 12 independent FMAs
// per step of the inner dimension, as the GEMM micro-kernel does. The project GEMM (gemm.h) is
// not called per tile: it packs both operands and sets up its threads on every call, and a
// 96 x 64 x 128 tile product through it ran at about 69 GFLOP/s on one core of the machine
// pybigml is tuned on, against about 80 GFLOP/s (of a 103 GFLOP/s peak) for this kernel's
// products. Exponentials use a vectorised 2^x (n + r split, a Taylor polynomial for 2^r, 2^n
// from the exponent bits): scalar std::exp would cost as much as all the multiply-adds. The
// bound aimed for is the FMA peak on the two (forward) or five (backward) L x S x E products;
// the softmax adds O(L S) exp and scaling work per head, about 10 % of the forward's time.
#include "pybigml/attention.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace pybigml {
namespace {

// Register tile: kMR rows of C by kNR columns (two AVX vectors: 16 floats or 8 doubles).
constexpr int kMR = 6;
template <typename T>
constexpr int64_t kNR = 64 / sizeof(T);

// Tile sizes (query tiles a multiple of kMR). Measured on the machines pybigml is tuned on, a
// 96 x 128 score tile of floats (48 KiB) and the K^T and V panels beside it stay in L2 while
// the products sweep them; sizes from 64 x 128 to 120 x 256 ran within a few per cent.
constexpr int64_t kForwardQueries = 96;
constexpr int64_t kForwardKeys = 128;
constexpr int64_t kBackwardQueries = 96;
constexpr int64_t kBackwardKeys = 64;

template <typename T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <typename T>
constexpr T kLog2e = T(1.44269504088896340736);
template <typename T>
constexpr T kLn2 = T(0.69314718055994530942);

int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

int64_t round_up(int64_t x, int64_t step) { return ceil_div(x, step) * step; }

template <typename T>
int64_t round_up_to_panel(int64_t x) {
  return ceil_div(x, kNR<T>) * kNR<T>;
}

template <typename T>
const T* row_of(const AttentionInput<T>& x, int64_t b, int64_t h, int64_t i) {
  return x.data + b * x.batch_stride + h * x.head_stride + i * x.row_stride;
}

// The scores of query i against keys j0 .. j0 + n - 1, after scaling: masked keys get -inf
// (bool mask) or the mask times bias_factor added (float mask; the factor converts it to the
// scores' units).
template <typename T>
void apply_mask(const AttentionMask<T>& mask, int64_t b, int64_t h, int64_t i, int64_t j0,
                int64_t n, T bias_factor, T* scores) {
  const int64_t offset =
      b * mask.batch_stride + h * mask.head_stride + i * mask.row_stride + j0 * mask.col_stride;
  const int64_t step = mask.col_stride;
  if (mask.keep != nullptr) {
    const bool* keep = mask.keep + offset;
    for (int64_t c = 0; c < n; ++c) {
      if (!keep[c * step]) scores[c] = -kInf<T>;
    }
  } else if (mask.bias != nullptr) {
    const T* bias = mask.bias + offset;
    for (int64_t c = 0; c < n; ++c) scores[c] += bias[c * step] * bias_factor;
  }
}

#ifdef PYBIGML_HAVE_AVX2_FMA

// ln2^k / k! for k = 13 down to 0: the Taylor coefficients of 2^r = e^(r ln2).
constexpr auto kExp2Coefficients = [] {
  constexpr int kDegree = 13;
  std::array<double, kDegree + 1> c{};
  double term = 1.0;
  for (int k = 0; k <= kDegree; ++k) {
    c[kDegree - k] = term;
    term *= 0.69314718055994530942 / (k + 1);
  }
  return c;
}();

inline __m256 max_vec(__m256 x, __m256 y) { return _mm256_max_ps(x, y); }
inline __m256d max_vec(__m256d x, __m256d y) { return _mm256_max_pd(x, y); }
inline __m256 mul_vec(__m256 x, __m256 y) { return _mm256_mul_ps(x, y); }
inline __m256d mul_vec(__m256d x, __m256d y) { return _mm256_mul_pd(x, y); }
inline __m256 sub_vec(__m256 x, __m256 y) { return _mm256_sub_ps(x, y); }
inline __m256d sub_vec(__m256d x, __m256d y) { return _mm256_sub_pd(x, y); }

// 2^x for x <= 0 (a little above 0 is fine), 0 for x = -inf or below the smallest normal
// result. x = n + r with n = round(x) and |r| <= 1/2 (exact), 2^r = e^(r ln2) by its Taylor
// series to degree 7 (truncation error (ln2 / 2)^8 / 8! < 6e-9, under a float ulp), times 2^n
// built in the exponent field. Scores are kept in base-2 units (log2(e) folded into the query
// scale), which saves the multiply and the two-step ln2 reduction of a natural exp.
inline __m256 exp2_nonpositive(__m256 x) {
  const __m256 lowest = _mm256_set1_ps(-126.0f);
  const __m256 underflow = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
  x = _mm256_max_ps(x, lowest);
  const __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 r = _mm256_sub_ps(x, n);
  // ln2^k / k! for k = 7 down to 0.
  static constexpr float kCoefficients[] = {1.5252733804059841e-05f, 1.5403530393381606e-04f,
                                            1.3333558146428441e-03f, 9.6181291076284772e-03f,
                                            5.5504108664821580e-02f, 2.4022650695910069e-01f,
                                            6.9314718055994531e-01f, 1.0f};
  __m256 p = _mm256_set1_ps(kCoefficients[0]);
  for (int k = 1; k < 8; ++k) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kCoefficients[k]));
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(exponent)));
}

// The same in double: Taylor series to degree 13 (truncation error (ln2 / 2)^14 / 14! < 5e-18).
inline __m256d exp2_nonpositive(__m256d x) {
  const __m256d lowest = _mm256_set1_pd(-1022.0);
  const __m256d underflow = _mm256_cmp_pd(x, lowest, _CMP_LT_OQ);
  x = _mm256_max_pd(x, lowest);
  const __m256d n = _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256d r = _mm256_sub_pd(x, n);
  __m256d p = _mm256_set1_pd(kExp2Coefficients[0]);
  for (int k = 1; k < 14; ++k) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kExp2Coefficients[k]));
  const __m256i exponent = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)), _mm256_set1_epi64x(1023)), 52);
  return _mm256_andnot_pd(underflow, _mm256_mul_pd(p, _mm256_castsi256_pd(exponent)));
}

#endif  // PYBIGML_HAVE_AVX2_FMA

// Row helpers of the softmax; n is a multiple of kNR (the padded width of a score tile).

template <typename T>
void scale_row(T* row, int64_t n, T factor) {
  int64_t c = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  const auto f = V::broadcast(factor);
  for (; c + V::kLanes <= n; c += V::kLanes) V::store(row + c, mul_vec(V::load(row + c), f));
#endif
  for (; c < n; ++c) row[c] *= factor;
}

template <typename T>
T max_of_row(const T* row, int64_t n) {
  T result = -kInf<T>;
  int64_t c = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  auto best = V::broadcast(-kInf<T>);
  for (; c + V::kLanes <= n; c += V::kLanes) best = max_vec(best, V::load(row + c));
  T lanes[V::kLanes];
  V::store(lanes, best);
  for (const T x : lanes) result = std::max(result, x);
#endif
  for (; c < n; ++c) result = std::max(result, row[c]);
  return result;
}

// row[c] = 2^(row[c] - shift) (so -inf gives 0); returns the sum of the new row.
template <typename T>
T exp2_row(T* row, int64_t n, T shift) {
  T sum = 0;
  int64_t c = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  const auto s = V::broadcast(shift);
  auto total = V::zero();
  for (; c + V::kLanes <= n; c += V::kLanes) {
    const auto e = exp2_nonpositive(sub_vec(V::load(row + c), s));
    V::store(row + c, e);
    total = V::add(total, e);
  }
  T lanes[V::kLanes];
  V::store(lanes, total);
  for (const T x : lanes) sum += x;
#endif
  for (; c < n; ++c) sum += (row[c] = std::exp2(row[c] - shift));
  return sum;
}

// dS = P * (dP - D) for one row: the gradient of the (scaled, masked) scores.
template <typename T>
void softmax_grad_row(T* prob, const T* grad_prob, int64_t n, T d) {
  int64_t c = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  const auto dv = V::broadcast(d);
  for (; c + V::kLanes <= n; c += V::kLanes) {
    V::store(prob + c, mul_vec(V::load(prob + c), sub_vec(V::load(grad_prob + c), dv)));
  }
#endif
  for (; c < n; ++c) prob[c] *= grad_prob[c] - d;
}

// C[0:MR, 0:kNR] = (accumulate ? C : 0) + sum over p of A(i, p) B(p, j), with
// A(i, p) = a[i * a_rs + p * a_cs] and B(p, j) = b[p * ldb + j]. The tile of C stays in
// registers for the whole loop over p.
template <typename T, int MR>
void micro_tile(int64_t depth, const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t ldb,
                T* c, int64_t ldc, bool accumulate) {
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  using Reg = typename V::Reg;
  constexpr int kLanes = V::kLanes;
  // As in the GEMM micro-kernel: GCC keeps the tile in registers only when these loops are
  // unrolled before register allocation.
  Reg left[MR], right[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    left[i] = accumulate ? V::load(c + i * ldc) : V::zero();
    right[i] = accumulate ? V::load(c + i * ldc + kLanes) : V::zero();
  }
  for (int64_t p = 0; p < depth; ++p, a += a_cs, b += ldb) {
    const Reg b_left = V::load(b);
    const Reg b_right = V::load(b + kLanes);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const Reg a_value = V::broadcast(a + i * a_rs);
      left[i] = V::fma(a_value, b_left, left[i]);
      right[i] = V::fma(a_value, b_right, right[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    V::store(c + i * ldc, left[i]);
    V::store(c + i * ldc + kLanes, right[i]);
  }
#else
  T tile[MR][kNR<T>] = {};
  for (int64_t p = 0; p < depth; ++p) {
    for (int i = 0; i < MR; ++i) {
      const T a_value = a[i * a_rs + p * a_cs];
      for (int64_t j = 0; j < kNR<T>; ++j) tile[i][j] += a_value * b[p * ldb + j];
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int64_t j = 0; j < kNR<T>; ++j) {
      c[i * ldc + j] = (accumulate ? c[i * ldc + j] : T(0)) + tile[i][j];
    }
  }
#endif
}

// A depth x n matrix as the B operand of tile_product, in column panels of kNR: element (p, j)
// at data[(j / kNR) * panel_stride + p * kNR + j % kNR]. Each panel is depth x kNR contiguous, so
// the micro-kernel walks it line after line; read in place from a row-major matrix instead, a
// row stride of 256 or 512 bytes would map the whole panel onto a few L1 sets.
template <typename T>
struct Panels {
  const T* data;
  int64_t panel_stride;

  Panels from_row(int64_t p) const { return {data + p * kNR<T>, panel_stride}; }
};

// C[0:m, 0:n] (+)= A[0:m, 0:depth] B[0:depth, 0:n], n a multiple of kNR; A as in micro_tile,
// C row-major with leading dimension ldc. Panel by panel, so the depth x kNR panel of B stays in
// L1 while the rows of A stream past it.
template <typename T>
void tile_product(int64_t m, int64_t n, int64_t depth, const T* a, int64_t a_rs, int64_t a_cs,
                  Panels<T> b, T* c, int64_t ldc, bool accumulate) {
  constexpr int64_t kLd = kNR<T>;
  for (int64_t j = 0; j < n; j += kNR<T>) {
    const T* panel = b.data + j / kNR<T> * b.panel_stride;
    int64_t i = 0;
    for (; i + kMR <= m; i += kMR) {
      micro_tile<T, kMR>(depth, a + i * a_rs, a_rs, a_cs, panel, kLd, c + i * ldc + j, ldc,
                         accumulate);
    }
    const T* a_rest = a + i * a_rs;
    T* c_rest = c + i * ldc + j;
    switch (m - i) {
      case 1:
        micro_tile<T, 1>(depth, a_rest, a_rs, a_cs, panel, kLd, c_rest, ldc, accumulate);
        break;
      case 2:
        micro_tile<T, 2>(depth, a_rest, a_rs, a_cs, panel, kLd, c_rest, ldc, accumulate);
        break;
      case 3:
        micro_tile<T, 3>(depth, a_rest, a_rs, a_cs, panel, kLd, c_rest, ldc, accumulate);
        break;
      case 4:
        micro_tile<T, 4>(depth, a_rest, a_rs, a_cs, panel, kLd, c_rest, ldc, accumulate);
        break;
      case 5:
        micro_tile<T, 5>(depth, a_rest, a_rs, a_cs, panel, kLd, c_rest, ldc, accumulate);
        break;
      default:
        break;
    }
  }
}

// rows x cols source rows (row stride src_rs), times `scale`, packed into panels in `buffer`
// (round_up_to_panel(cols) * rows values), zero-padded.
template <typename T>
Panels<T> pack_panels(const T* src, int64_t src_rs, int64_t rows, int64_t cols, T* buffer,
                      T scale = T(1)) {
  const int64_t panel_stride = rows * kNR<T>;
  for (int64_t j0 = 0; j0 < cols; j0 += kNR<T>) {
    const int64_t width = std::min(kNR<T>, cols - j0);
    T* panel = buffer + j0 / kNR<T> * panel_stride;
    for (int64_t r = 0; r < rows; ++r) {
      const T* line = src + r * src_rs + j0;
      T* out = panel + r * kNR<T>;
      for (int64_t c = 0; c < width; ++c) out[c] = line[c] * scale;
      std::fill(out + width, out + kNR<T>, T(0));
    }
  }
  return {buffer, panel_stride};
}

// The transpose of a rows x depth block (row stride src_rs), a depth x rows matrix, packed into
// panels in `buffer` (depth * round_up_to_panel(rows) values), zero-padded.
template <typename T>
Panels<T> pack_transposed_panels(const T* src, int64_t src_rs, int64_t rows, int64_t depth,
                                 T* buffer) {
  const int64_t panel_stride = depth * kNR<T>;
  // (e, r) of the transpose, i.e. src[r * src_rs + e], lands here:
  const auto at = [&](int64_t e, int64_t r) {
    return buffer + r / kNR<T> * panel_stride + e * kNR<T> + r % kNR<T>;
  };
  const int64_t padded = round_up_to_panel<T>(rows);
  for (int64_t r = rows; r < padded; ++r) {
    for (int64_t e = 0; e < depth; ++e) *at(e, r) = T(0);
  }
  int64_t r0 = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  // Whole kLanes x kLanes squares transposed in registers: one store per kLanes values instead
  // of one per value, kNR apart.
  using V = simd::Vec<T>;
  constexpr int kLanes = V::kLanes;
  const int64_t square_depth = depth / kLanes * kLanes;
  for (; r0 + kLanes <= rows; r0 += kLanes) {
    for (int64_t e0 = 0; e0 < square_depth; e0 += kLanes) {
      typename V::Reg square[kLanes];
      for (int i = 0; i < kLanes; ++i) square[i] = V::load(src + (r0 + i) * src_rs + e0);
      V::transpose(square);
      for (int i = 0; i < kLanes; ++i) V::store(at(e0 + i, r0), square[i]);
    }
    for (int64_t r = r0; r < r0 + kLanes; ++r) {
      for (int64_t e = square_depth; e < depth; ++e) *at(e, r) = src[r * src_rs + e];
    }
  }
#endif
  for (int64_t r = r0; r < rows; ++r) {
    for (int64_t e = 0; e < depth; ++e) *at(e, r) = src[r * src_rs + e];
  }
  return {buffer, panel_stride};
}

// Masked scores of a tile of queries [i0, i0 + rows) against keys [j0, j0 + n), already
// holding (scale q) k^T in scores (rows x width): applies the mask and the causal rule, and sets
// the padding columns [n, width) to -inf.
template <typename T>
void mask_scores(const AttentionShape& shape, const AttentionMask<T>& mask, int64_t b, int64_t h,
                 int64_t i0, int64_t rows, int64_t j0, int64_t n, int64_t width, T* scores) {
  for (int64_t r = 0; r < rows; ++r) {
    T* row = scores + r * width;
    // Causal: key j0 + c is kept only while j0 + c <= i0 + r.
    const int64_t kept = shape.causal ? std::clamp<int64_t>(i0 + r - j0 + 1, 0, n) : n;
    std::fill(row + kept, row + width, -kInf<T>);
    apply_mask(mask, b, h, i0 + r, j0, kept, kLog2e<T>, row);
  }
}

// rows x cols source rows times `scale`, into a row-major buffer (leading dimension cols): the
// queries with the softmax scale folded in, so that scores need no scaling pass and
// dK = dS^T (scale Q) needs none either.
template <typename T>
const T* scaled_rows(const T* src, int64_t src_rs, int64_t rows, int64_t cols, T scale, T* buffer) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) buffer[r * cols + c] = src[r * src_rs + c] * scale;
  }
  return buffer;
}

// The scratch buffers of one forward thread.
template <typename T>
struct ForwardScratch {
  std::vector<T> queries, key_t, values, scores, acc, row_max, row_sum;
  std::vector<Panels<T>> key_t_tiles, value_tiles;  // per key tile, into key_t and values

  explicit ForwardScratch(const AttentionShape& shape)
      : queries(kForwardQueries * shape.head_dim),
        key_t(shape.head_dim * round_up(shape.key_length, kForwardKeys)),
        values(round_up(shape.key_length, kForwardKeys) * round_up_to_panel<T>(shape.value_dim)),
        scores(kForwardQueries * kForwardKeys),
        acc(kForwardQueries * round_up_to_panel<T>(shape.value_dim)),
        row_max(kForwardQueries),
        row_sum(kForwardQueries) {}
};

// Packs K^T and V of key/value head (b, kv_head), key tile by key tile, into the scratch: once
// per task, for all its query tiles.
template <typename T>
void pack_keys_and_values(const AttentionShape& shape, const AttentionInput<T>& k,
                          const AttentionInput<T>& v, int64_t b, int64_t kv_head,
                          ForwardScratch<T>& scratch) {
  const int64_t value_width = round_up_to_panel<T>(shape.value_dim);
  scratch.key_t_tiles.clear();
  scratch.value_tiles.clear();
  for (int64_t j0 = 0; j0 < shape.key_length; j0 += kForwardKeys) {
    const int64_t n = std::min(kForwardKeys, shape.key_length - j0);
    scratch.key_t_tiles.push_back(
        pack_transposed_panels(row_of(k, b, kv_head, j0), k.row_stride, n, shape.head_dim,
                               scratch.key_t.data() + j0 * shape.head_dim));
    scratch.value_tiles.push_back(pack_panels(row_of(v, b, kv_head, j0), v.row_stride, n,
                                              shape.value_dim,
                                              scratch.values.data() + j0 * value_width));
  }
}

// Output and log-sum-exp of queries [i0, i0 + rows) of head (b, h), key tile by key tile, from
// the K^T and V panels that pack_keys_and_values left in the scratch.
template <typename T>
void forward_query_tile(const AttentionShape& shape, const AttentionInput<T>& q,
                        const AttentionMask<T>& mask, int64_t b, int64_t h, int64_t i0,
                        int64_t rows, ForwardScratch<T>& scratch, T* out, T* lse) {
  const int64_t value_width = round_up_to_panel<T>(shape.value_dim);
  T* acc = scratch.acc.data();
  T* row_max = scratch.row_max.data();
  T* row_sum = scratch.row_sum.data();
  std::fill(acc, acc + rows * value_width, T(0));
  std::fill(row_max, row_max + rows, -kInf<T>);
  std::fill(row_sum, row_sum + rows, T(0));
  // Causal: the last query of the tile sees keys up to its own index; later tiles are skipped.
  const int64_t key_end = shape.causal ? std::min(shape.key_length, i0 + rows) : shape.key_length;
  const T* queries =
      scaled_rows(row_of(q, b, h, i0), q.row_stride, rows, shape.head_dim,
                  static_cast<T>(shape.scale * kLog2e<double>), scratch.queries.data());

  for (int64_t j0 = 0; j0 < key_end; j0 += kForwardKeys) {
    const int64_t n = std::min(kForwardKeys, key_end - j0);
    const int64_t width = round_up_to_panel<T>(n);
    const Panels<T> key_t = scratch.key_t_tiles[j0 / kForwardKeys];
    const Panels<T> values = scratch.value_tiles[j0 / kForwardKeys];
    T* scores = scratch.scores.data();
    tile_product(rows, width, shape.head_dim, queries, shape.head_dim, 1, key_t, scores, width,
                 false);
    mask_scores(shape, mask, b, h, i0, rows, j0, n, width, scores);

    for (int64_t r = 0; r < rows; ++r) {
      T* row = scores + r * width;
      const T new_max = std::max(row_max[r], max_of_row(row, width));
      if (new_max == -kInf<T>) {  // every key so far masked: nothing to add
        std::fill(row, row + width, T(0));
        continue;
      }
      const T tile_sum = exp2_row(row, width, new_max);
      if (row_max[r] != -kInf<T>) {
        const T correction = std::exp2(row_max[r] - new_max);
        if (correction != T(1)) scale_row(acc + r * value_width, value_width, correction);
        row_sum[r] = row_sum[r] * correction + tile_sum;
      } else {
        row_sum[r] = tile_sum;
      }
      row_max[r] = new_max;
    }
    tile_product(rows, value_width, n, scores, width, 1, values, acc, value_width, true);
  }

  for (int64_t r = 0; r < rows; ++r) {
    T* out_row = out + r * shape.value_dim;
    if (row_sum[r] > T(0)) {
      const T inverse = T(1) / row_sum[r];
      for (int64_t e = 0; e < shape.value_dim; ++e) out_row[e] = acc[r * value_width + e] * inverse;
      lse[r] = (row_max[r] + std::log2(row_sum[r])) * kLn2<T>;
    } else {  // a fully masked query attends to nothing
      std::fill(out_row, out_row + shape.value_dim, T(0));
      lse[r] = kInf<T>;
    }
  }
}

int threads_for(int64_t tasks) {
  return static_cast<int>(std::clamp<int64_t>(tasks, 1, get_num_threads()));
}

// The scratch buffers of one backward thread.
template <typename T>
struct BackwardScratch {
  std::vector<T> key_t, value_t, keys, queries, query_panels, grad_outs, scores, grad_scores,
      grad_k, grad_v, grad_q, delta;

  explicit BackwardScratch(const AttentionShape& shape)
      : key_t(shape.head_dim * kBackwardKeys),
        value_t(shape.value_dim * kBackwardKeys),
        keys(kBackwardKeys * round_up_to_panel<T>(shape.head_dim)),
        queries(shape.query_length * shape.head_dim),
        query_panels(shape.query_length * round_up_to_panel<T>(shape.head_dim)),
        grad_outs(shape.query_length * round_up_to_panel<T>(shape.value_dim)),
        scores(kBackwardQueries * kBackwardKeys),
        grad_scores(kBackwardQueries * kBackwardKeys),
        grad_k(kBackwardKeys * round_up_to_panel<T>(shape.head_dim)),
        grad_v(kBackwardKeys * round_up_to_panel<T>(shape.value_dim)),
        grad_q(shape.query_length * round_up_to_panel<T>(shape.head_dim)),
        delta(shape.query_length) {}
};

// The gradients that key tiles [tile_begin, tile_end) of head (b, h) contribute: grad_k and
// grad_v of those keys (final), and their share of grad_q, written (scaled) to grad_q_part
// (L x E).
template <typename T>
void backward_key_chunk(const AttentionShape& shape, const AttentionInput<T>& q,
                        const AttentionInput<T>& k, const AttentionInput<T>& v,
                        const AttentionMask<T>& mask, const T* out, const T* lse,
                        const AttentionInput<T>& grad_out, int64_t b, int64_t h, int64_t tile_begin,
                        int64_t tile_end, BackwardScratch<T>& scratch, T* grad_q_part, T* grad_k,
                        T* grad_v) {
  const int64_t length = shape.query_length;
  const int64_t head_dim = shape.head_dim;
  const int64_t value_dim = shape.value_dim;
  const int64_t head_width = round_up_to_panel<T>(head_dim);
  const int64_t value_width = round_up_to_panel<T>(value_dim);
  const int64_t kv_head = h / shape.kv_groups;
  const T scale = static_cast<T>(shape.scale);

  // D_i = dO_i . O_i = sum_j P_ij dP_ij: the softmax Jacobian's diagonal correction.
  T* delta = scratch.delta.data();
  for (int64_t i = 0; i < length; ++i) {
    const T* grad_row = row_of(grad_out, b, h, i);
    const T* out_row = out + i * value_dim;
    T sum = 0;
    for (int64_t e = 0; e < value_dim; ++e) sum += grad_row[e] * out_row[e];
    delta[i] = sum;
  }
  // The queries twice: rows for base-2 scores S = (scale log2(e) Q) K^T, panels for
  // dK += dS^T (scale Q).
  const T* queries =
      scaled_rows(row_of(q, b, h, 0), q.row_stride, length, head_dim,
                  static_cast<T>(shape.scale * kLog2e<double>), scratch.queries.data());
  const Panels<T> query_panels = pack_panels(row_of(q, b, h, 0), q.row_stride, length, head_dim,
                                             scratch.query_panels.data(), scale);
  const Panels<T> grad_outs = pack_panels(row_of(grad_out, b, h, 0), grad_out.row_stride, length,
                                          value_dim, scratch.grad_outs.data());
  T* grad_q_acc = scratch.grad_q.data();
  std::fill(grad_q_acc, grad_q_acc + length * head_width, T(0));
  T* scores = scratch.scores.data();
  T* grad_scores = scratch.grad_scores.data();
  T* grad_k_acc = scratch.grad_k.data();
  T* grad_v_acc = scratch.grad_v.data();

  for (int64_t tile = tile_begin; tile < tile_end; ++tile) {
    const int64_t j0 = tile * kBackwardKeys;
    const int64_t n = std::min(kBackwardKeys, shape.key_length - j0);
    const int64_t width = round_up_to_panel<T>(n);
    const T* key_rows = row_of(k, b, kv_head, j0);
    const T* value_rows = row_of(v, b, kv_head, j0);
    const Panels<T> key_t =
        pack_transposed_panels(key_rows, k.row_stride, n, head_dim, scratch.key_t.data());
    const Panels<T> value_t =
        pack_transposed_panels(value_rows, v.row_stride, n, value_dim, scratch.value_t.data());
    const Panels<T> keys = pack_panels(key_rows, k.row_stride, n, head_dim, scratch.keys.data());
    std::fill(grad_k_acc, grad_k_acc + n * head_width, T(0));
    std::fill(grad_v_acc, grad_v_acc + n * value_width, T(0));

    // Causal: queries before j0 see none of these keys.
    for (int64_t i0 = shape.causal ? j0 : 0; i0 < length; i0 += kBackwardQueries) {
      const int64_t rows = std::min(kBackwardQueries, length - i0);
      const T* grad_out_rows = row_of(grad_out, b, h, i0);
      tile_product(rows, width, head_dim, queries + i0 * head_dim, head_dim, 1, key_t, scores,
                   width, false);
      mask_scores(shape, mask, b, h, i0, rows, j0, n, width, scores);
      for (int64_t r = 0; r < rows; ++r) {
        exp2_row(scores + r * width, width, lse[i0 + r] * kLog2e<T>);
      }
      // dV_j += P^T dO_i: P^T is P read with its strides swapped.
      tile_product(n, value_width, rows, scores, 1, width, grad_outs.from_row(i0), grad_v_acc,
                   value_width, true);
      tile_product(rows, width, value_dim, grad_out_rows, grad_out.row_stride, 1, value_t,
                   grad_scores, width, false);
      for (int64_t r = 0; r < rows; ++r) {
        softmax_grad_row(scores + r * width, grad_scores + r * width, width, delta[i0 + r]);
      }
      // scores now holds dS. dQ_i += dS K_j and dK_j += dS^T Q_i (scaled at the end).
      tile_product(rows, head_width, n, scores, width, 1, keys, grad_q_acc + i0 * head_width,
                   head_width, true);
      tile_product(n, head_width, rows, scores, 1, width, query_panels.from_row(i0), grad_k_acc,
                   head_width, true);
    }
    for (int64_t c = 0; c < n; ++c) {
      T* grad_k_row = grad_k + (j0 + c) * head_dim;
      T* grad_v_row = grad_v + (j0 + c) * value_dim;
      for (int64_t e = 0; e < head_dim; ++e) grad_k_row[e] = grad_k_acc[c * head_width + e];
      std::copy(grad_v_acc + c * value_width, grad_v_acc + c * value_width + value_dim, grad_v_row);
    }
  }
  for (int64_t i = 0; i < length; ++i) {
    for (int64_t e = 0; e < head_dim; ++e) {
      grad_q_part[i * head_dim + e] = grad_q_acc[i * head_width + e] * scale;
    }
  }
}

}  // namespace

template <typename T>
void attention_forward(const AttentionShape& shape, AttentionInput<T> q, AttentionInput<T> k,
                       AttentionInput<T> v, AttentionMask<T> mask, T* out, T* lse) {
  const int64_t heads = shape.batch * shape.heads;
  // Tiles of equal height (a multiple of kMR), so that L = 128 runs as 66 + 62, not 96 + 32.
  const int64_t query_tiles = ceil_div(shape.query_length, kForwardQueries);
  const int64_t tile_rows =
      query_tiles == 0 ? 0 : ceil_div(ceil_div(shape.query_length, query_tiles), kMR) * kMR;
  // A task is a head, whose K^T and V are packed once for all its query tiles; with fewer
  // heads than threads, a chunk of a head's query tiles, so that every thread has work.
  const int threads = get_num_threads();
  const int64_t chunks = heads >= threads ? 1 : std::max<int64_t>(query_tiles, 1);
  const int64_t tasks = heads * chunks;
#pragma omp parallel num_threads(threads_for(tasks))
  {
    ForwardScratch<T> scratch(shape);
    // Causal chunks differ in cost (the last query tile sees every key): hand tasks out one by
    // one.
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t head = task / chunks, chunk = task % chunks;
      const int64_t b = head / shape.heads, h = head % shape.heads;
      pack_keys_and_values(shape, k, v, b, h / shape.kv_groups, scratch);
      for (int64_t tile = chunk * query_tiles / chunks; tile < (chunk + 1) * query_tiles / chunks;
           ++tile) {
        const int64_t i0 = tile * tile_rows;
        const int64_t rows = std::min(tile_rows, shape.query_length - i0);
        const int64_t first_row = head * shape.query_length + i0;
        forward_query_tile(shape, q, mask, b, h, i0, rows, scratch,
                           out + first_row * shape.value_dim, lse + first_row);
      }
    }
  }
}

template <typename T>
void attention_backward(const AttentionShape& shape, AttentionInput<T> q, AttentionInput<T> k,
                        AttentionInput<T> v, AttentionMask<T> mask, const T* out, const T* lse,
                        AttentionInput<T> grad_out, T* grad_q, T* grad_k, T* grad_v) {
  const int64_t heads = shape.batch * shape.heads;
  if (heads == 0) return;
  const int64_t length = shape.query_length;
  const int64_t key_tiles = ceil_div(shape.key_length, kBackwardKeys);
  // Fewer heads than threads: split each head's key tiles into chunks, each summing its own
  // share of grad_q, so that every thread has work.
  const int threads = get_num_threads();
  const int64_t chunks = heads >= threads ? 1
                                          : std::clamp<int64_t>(ceil_div(2 * threads, heads), 1,
                                                                std::max<int64_t>(key_tiles, 1));
  const int64_t tasks = heads * chunks;
  const int64_t q_size = length * shape.head_dim;
  std::vector<T> grad_q_parts(chunks > 1 ? tasks * q_size : 0);
#pragma omp parallel num_threads(threads_for(tasks))
  {
    BackwardScratch<T> scratch(shape);
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t head = task / chunks;
      const int64_t chunk = task % chunks;
      T* grad_q_part = chunks > 1 ? grad_q_parts.data() + task * q_size : grad_q + head * q_size;
      backward_key_chunk(shape, q, k, v, mask, out + head * length * shape.value_dim,
                         lse + head * length, grad_out, head / shape.heads, head % shape.heads,
                         chunk * key_tiles / chunks, (chunk + 1) * key_tiles / chunks, scratch,
                         grad_q_part, grad_k + head * shape.key_length * shape.head_dim,
                         grad_v + head * shape.key_length * shape.value_dim);
    }
    if (chunks > 1) {
#pragma omp for
      for (int64_t head = 0; head < heads; ++head) {
        T* total = grad_q + head * q_size;
        const T* parts = grad_q_parts.data() + head * chunks * q_size;
        std::copy(parts, parts + q_size, total);
        for (int64_t chunk = 1; chunk < chunks; ++chunk) {
          for (int64_t x = 0; x < q_size; ++x) total[x] += parts[chunk * q_size + x];
        }
      }
    }
  }
}

// The references: per head, the full score matrix, a two-pass softmax, plain loops.

namespace {

// probs[i * S + j] = softmax over j of the scaled, masked scores of head (b, h); a fully
// masked row is all zeros. Returns nothing else: lse is derived by the caller when needed.
template <typename T>
void reference_probabilities(const AttentionShape& shape, const AttentionInput<T>& q,
                             const AttentionInput<T>& k, const AttentionMask<T>& mask, int64_t b,
                             int64_t h, std::vector<T>& probs, std::vector<T>& lse) {
  const int64_t length = shape.query_length, keys = shape.key_length;
  for (int64_t i = 0; i < length; ++i) {
    T* row = probs.data() + i * keys;
    for (int64_t j = 0; j < keys; ++j) {
      const T* qi = row_of(q, b, h, i);
      const T* kj = row_of(k, b, h / shape.kv_groups, j);
      T dot = 0;
      for (int64_t e = 0; e < shape.head_dim; ++e) dot += qi[e] * kj[e];
      row[j] = shape.causal && j > i ? -kInf<T> : dot * static_cast<T>(shape.scale);
    }
    apply_mask(mask, b, h, i, 0, keys, T(1), row);
    T top = -kInf<T>;
    for (int64_t j = 0; j < keys; ++j) top = std::max(top, row[j]);
    if (top == -kInf<T>) {
      std::fill(row, row + keys, T(0));
      lse[i] = kInf<T>;
      continue;
    }
    T sum = 0;
    for (int64_t j = 0; j < keys; ++j) sum += (row[j] = std::exp(row[j] - top));
    for (int64_t j = 0; j < keys; ++j) row[j] /= sum;
    lse[i] = top + std::log(sum);
  }
}

}  // namespace

template <typename T>
void attention_forward_reference(const AttentionShape& shape, AttentionInput<T> q,
                                 AttentionInput<T> k, AttentionInput<T> v, AttentionMask<T> mask,
                                 T* out, T* lse) {
  const int64_t length = shape.query_length, keys = shape.key_length;
  std::vector<T> probs(length * keys), head_lse(length);
  for (int64_t head = 0; head < shape.batch * shape.heads; ++head) {
    const int64_t b = head / shape.heads, h = head % shape.heads;
    reference_probabilities(shape, q, k, mask, b, h, probs, head_lse);
    for (int64_t i = 0; i < length; ++i) {
      T* out_row = out + (head * length + i) * shape.value_dim;
      std::fill(out_row, out_row + shape.value_dim, T(0));
      for (int64_t j = 0; j < keys; ++j) {
        const T* vj = row_of(v, b, h / shape.kv_groups, j);
        for (int64_t e = 0; e < shape.value_dim; ++e) out_row[e] += probs[i * keys + j] * vj[e];
      }
      lse[head * length + i] = head_lse[i];
    }
  }
}

// The textbook softmax backward: dS_ij = P_ij (dP_ij - sum_l P_il dP_il), from the materialised
// P; it uses neither out nor lse, so it checks the fast kernel's use of them independently.
template <typename T>
void attention_backward_reference(const AttentionShape& shape, AttentionInput<T> q,
                                  AttentionInput<T> k, AttentionInput<T> v, AttentionMask<T> mask,
                                  const T* /*out*/, const T* /*lse*/, AttentionInput<T> grad_out,
                                  T* grad_q, T* grad_k, T* grad_v) {
  const int64_t length = shape.query_length, keys = shape.key_length;
  const int64_t head_dim = shape.head_dim, value_dim = shape.value_dim;
  const T scale = static_cast<T>(shape.scale);
  std::vector<T> probs(length * keys), head_lse(length), grad_probs(keys);
  for (int64_t head = 0; head < shape.batch * shape.heads; ++head) {
    const int64_t b = head / shape.heads, h = head % shape.heads, kv_head = h / shape.kv_groups;
    reference_probabilities(shape, q, k, mask, b, h, probs, head_lse);
    T* gq = grad_q + head * length * head_dim;
    T* gk = grad_k + head * keys * head_dim;
    T* gv = grad_v + head * keys * value_dim;
    std::fill(gq, gq + length * head_dim, T(0));
    std::fill(gk, gk + keys * head_dim, T(0));
    std::fill(gv, gv + keys * value_dim, T(0));
    for (int64_t i = 0; i < length; ++i) {
      const T* go = row_of(grad_out, b, h, i);
      const T* p = probs.data() + i * keys;
      T weighted = 0;
      for (int64_t j = 0; j < keys; ++j) {
        const T* vj = row_of(v, b, kv_head, j);
        T dot = 0;
        for (int64_t e = 0; e < value_dim; ++e) {
          dot += go[e] * vj[e];
          gv[j * value_dim + e] += p[j] * go[e];
        }
        grad_probs[j] = dot;
        weighted += p[j] * dot;
      }
      for (int64_t j = 0; j < keys; ++j) {
        const T grad_score = p[j] * (grad_probs[j] - weighted) * scale;
        const T* qi = row_of(q, b, h, i);
        const T* kj = row_of(k, b, kv_head, j);
        for (int64_t e = 0; e < head_dim; ++e) {
          gq[i * head_dim + e] += grad_score * kj[e];
          gk[j * head_dim + e] += grad_score * qi[e];
        }
      }
    }
  }
}

#define PYBIGML_INSTANTIATE_ATTENTION(T)                                                           \
  template void attention_forward<T>(const AttentionShape&, AttentionInput<T>, AttentionInput<T>,  \
                                     AttentionInput<T>, AttentionMask<T>, T*, T*);                 \
  template void attention_backward<T>(const AttentionShape&, AttentionInput<T>, AttentionInput<T>, \
                                      AttentionInput<T>, AttentionMask<T>, const T*, const T*,     \
                                      AttentionInput<T>, T*, T*, T*);                              \
  template void attention_forward_reference<T>(const AttentionShape&, AttentionInput<T>,           \
                                               AttentionInput<T>, AttentionInput<T>,               \
                                               AttentionMask<T>, T*, T*);                          \
  template void attention_backward_reference<T>(                                                   \
      const AttentionShape&, AttentionInput<T>, AttentionInput<T>, AttentionInput<T>,              \
      AttentionMask<T>, const T*, const T*, AttentionInput<T>, T*, T*, T*);

PYBIGML_INSTANTIATE_ATTENTION(float)
PYBIGML_INSTANTIATE_ATTENTION(double)

#undef PYBIGML_INSTANTIATE_ATTENTION

}  // namespace pybigml
