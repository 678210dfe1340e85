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

// Same contract as gemm(), computed by the textbook triple loop on one thread: the reference
// that tests hold the fast kernel to.
template <typename T>
void gemm_reference(int64_t batch, int64_t m, int64_t n, int64_t k, InputMatrices<T> a,
                    InputMatrices<T> b, OutputMatrices<T> c);

}  // namespace pybigml
