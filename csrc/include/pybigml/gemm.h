// General matrix multiply on the CPU: C = op(A) @ op(B) over a batch of matrices.
//
// The kernels see plain pointers, sizes and leading dimensions, never Python objects.
// Callers (the bindings) guarantee that every pointer, stride and size describes memory
// that is valid to read (A, B) or write (C), and that C overlaps neither A nor B.
#pragma once

#include <cstdint>

namespace pybigml {

// A batch of input matrices stored row-major in one buffer, possibly as transposed views.
//
// Logical element (i, j) of matrix `b` of the batch lives at
//   data[b * batch_stride + i * ld + j]   when transposed is false,
//   data[b * batch_stride + j * ld + i]   when transposed is true.
// batch_stride may be 0 (one matrix broadcast to the whole batch) or negative.
template <typename T>
struct InputMatrices {
  const T* data;
  int64_t ld;
  int64_t batch_stride;
  bool transposed;
};

// A batch of row-major output matrices: element (i, j) of matrix b lives at
// data[b * batch_stride + i * ld + j]. Distinct matrices of the batch must not overlap.
template <typename T>
struct OutputMatrices {
  T* data;
  int64_t ld;
  int64_t batch_stride;
};

// C[b] = A[b] @ B[b] for b in [0, batch), with A[b] of shape (m, k) and B[b] of shape (k, n).
// C is overwritten (k == 0 gives zeros). Fast path: packed panels, a register-blocked SIMD
// micro-kernel, cache blocking and OpenMP over get_num_threads() threads.
template <typename T>
void gemm(int64_t batch, int64_t m, int64_t n, int64_t k, InputMatrices<T> a, InputMatrices<T> b,
          OutputMatrices<T> c);

// The packed layout of a B operand that gemm_prepacked_b reads: a (k x n) matrix B as
// ceil(n / W) panels of W = packed_b_panel_width<T>() columns, one after another, panel q
// holding for p = 0 .. k-1 in turn the W values B[p, q * W .. q * W + W - 1] (zeros past column
// n), so that
//   B[p, j] = packed[(j / W) * W * k + p * W + j % W],
// and packed_b_size<T>(k, n) = ceil(n / W) * W * k elements in all. W is the width of gemm's
// register tile (16 floats, 8 doubles: two AVX registers), so the micro-kernel reads a panel
// straight from this layout. A producer that can write B in this order (im2col writing, for W
// consecutive output positions and each tap, the W input values they read) saves gemm's pass
// that packs B.
template <typename T>
constexpr int64_t packed_b_panel_width() {
  return 32 / static_cast<int64_t>(sizeof(T)) * 2;
}

template <typename T>
constexpr int64_t packed_b_size(int64_t k, int64_t n) {
  constexpr int64_t kWidth = packed_b_panel_width<T>();
  return (n + kWidth - 1) / kWidth * kWidth * k;
}

// C (+)= A @ B for one matrix A (m x k, batch_stride unused) and B (k x n) packed as described
// above; C is m x n, row-major with leading dimension c.ld (c.batch_stride unused). With
// accumulate false C is overwritten (k == 0 gives zeros), with accumulate true the product is
// added to it. Same blocking, A packing and micro-kernel as gemm(). Called inside an OpenMP
// parallel region it runs on the calling thread alone; otherwise it splits C among
// get_num_threads() threads when the product is large enough. packed_b must address
// packed_b_size<T>(k, n) readable elements and must not overlap C.
template <typename T>
void gemm_prepacked_b(int64_t m, int64_t n, int64_t k, InputMatrices<T> a, const T* packed_b,
                      OutputMatrices<T> c, bool accumulate);

// Same contract as gemm(), computed by the textbook triple loop on one thread: the reference
// that tests hold the fast kernel to.
template <typename T>
void gemm_reference(int64_t batch, int64_t m, int64_t n, int64_t k, InputMatrices<T> a,
                    InputMatrices<T> b, OutputMatrices<T> c);

}  // namespace pybigml
