// Reductions on the CPU: sum/mean/max/min/argmax/argmin over an axis, the softmax family,
// layer norm, fused cross-entropy and the embedding gradient.
//
// The kernels see plain pointers and sizes, never Python objects. Callers (the bindings)
// guarantee that every pointer and size describes memory valid to read (inputs) or write
// (outputs), that outputs overlap no input, and that every index is in range.
//
// Most kernels view their input as a C-contiguous (outer, n, inner) array and work along its
// middle axis of length n: for a reduction over dim d of a tensor of shape S,
// outer = prod(S[:d]), n = S[d], inner = prod(S[d+1:]). inner == 1 is the common "last dim"
// case, where each of the `outer` rows is contiguous.
#pragma once

#include <cstdint>

namespace pybigml {

// ------------------------------------------------------------------------------- reductions
enum class ReduceOp { kSum, kMean, kMax, kMin };
enum class ArgReduceOp { kArgmax, kArgmin };

// An input viewed as (outer, n, inner) with arbitrary element strides (0 and negative too):
// element (o, k, i) lives at data[o * outer_stride + k * n_stride + i * inner_stride].
template <typename T>
struct StridedInput {
  const T* data;
  int64_t outer;
  int64_t n;
  int64_t inner;
  int64_t outer_stride;
  int64_t n_stride;
  int64_t inner_stride;
};

// out[o * inner + i] = op over k of x(o, k, i). kSum of an empty axis is 0, kMean of it NaN;
// kMax/kMin need n >= 1 and return NaN for a slice holding NaN. float sums accumulate in
// double; double sums pairwise (see reduce.cpp for the error bounds).
template <typename T>
void reduce(ReduceOp op, const StridedInput<T>& x, T* out);
template <typename T>
void reduce_reference(ReduceOp op, const StridedInput<T>& x, T* out);

// out[o * inner + i] = the index k of the first maximum (minimum) of x(o, :, i); a NaN counts as
// larger (smaller) than any number, so the first NaN wins. Needs n >= 1.
template <typename T>
void arg_reduce(ArgReduceOp op, const StridedInput<T>& x, int64_t* out);
template <typename T>
void arg_reduce_reference(ArgReduceOp op, const StridedInput<T>& x, int64_t* out);

// ------------------------------------------------------------------------------- softmax
enum class SoftmaxOp { kSoftmax, kLogSoftmax };

// y = softmax(x) or log_softmax(x) along the middle axis of contiguous (outer, n, inner) arrays.
template <typename T>
void softmax_forward(SoftmaxOp op, const T* x, T* y, int64_t outer, int64_t n, int64_t inner);
template <typename T>
void softmax_forward_reference(SoftmaxOp op, const T* x, T* y, int64_t outer, int64_t n,
                               int64_t inner);

// grad_x from the forward's output y and grad_y:
//   softmax:      grad_x = y * (grad_y - sum(grad_y * y))
//   log_softmax:  grad_x = grad_y - exp(y) * sum(grad_y)
template <typename T>
void softmax_backward(SoftmaxOp op, const T* y, const T* grad_y, T* grad_x, int64_t outer,
                      int64_t n, int64_t inner);
template <typename T>
void softmax_backward_reference(SoftmaxOp op, const T* y, const T* grad_y, T* grad_x, int64_t outer,
                                int64_t n, int64_t inner);

// out[o * inner + i] = log(sum_k exp(x(o, k, i))), -inf for n == 0; the shift by the max is
// skipped where the max is infinite, so a slice of -inf gives -inf and one holding +inf gives +inf.
template <typename T>
void logsumexp(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);
template <typename T>
void logsumexp_reference(const T* x, T* out, int64_t outer, int64_t n, int64_t inner);

// ------------------------------------------------------------------------------- layer norm
// Normalises each of `rows` contiguous rows of `cols` values:
//   y = (x - mean) * rstd * weight + bias,  rstd = 1 / sqrt(var + eps)  (biased variance).
// weight and bias may each be null (no scale / no shift); mean and rstd (rows values) are
// saved for the backward.
template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, T* y, T* mean, T* rstd,
                        int64_t rows, int64_t cols, double eps);
template <typename T>
void layer_norm_forward_reference(const T* x, const T* weight, const T* bias, T* y, T* mean,
                                  T* rstd, int64_t rows, int64_t cols, double eps);

// With x_hat = (x - mean) * rstd and g = grad_y * weight (grad_y where weight is null):
//   grad_x      = rstd * (g - mean(g) - x_hat * mean(g * x_hat))   (row means over cols)
//   grad_weight = sum over rows of grad_y * x_hat,  grad_bias = sum over rows of grad_y.
// grad_x, grad_weight and grad_bias may each be null (not wanted).
template <typename T>
void layer_norm_backward(const T* grad_y, const T* x, const T* mean, const T* rstd, const T* weight,
                         T* grad_x, T* grad_weight, T* grad_bias, int64_t rows, int64_t cols);
template <typename T>
void layer_norm_backward_reference(const T* grad_y, const T* x, const T* mean, const T* rstd,
                                   const T* weight, T* grad_x, T* grad_weight, T* grad_bias,
                                   int64_t rows, int64_t cols);

// ------------------------------------------------------------------------------- cross-entropy
// Class-index cross-entropy of contiguous logits (rows, classes), with torch's options. With
// p = softmax(logits row), y the row's target, w the class weights (all 1 when null),
// eps = label_smoothing and C = classes:
//   loss_row = (1 - eps) * w[y] * (-log p[y]) + eps / C * sum_c w[c] * (-log p[c]),
// and 0 where y == ignore_index. Also saves lse_row = log(sum_c exp(logits[c])).
struct CrossEntropyOptions {
  int64_t ignore_index;
  double label_smoothing;
};

template <typename T>
void cross_entropy_forward(const T* logits, const int64_t* target, const T* weight, T* loss, T* lse,
                           int64_t rows, int64_t classes, CrossEntropyOptions options);
template <typename T>
void cross_entropy_forward_reference(const T* logits, const int64_t* target, const T* weight,
                                     T* loss, T* lse, int64_t rows, int64_t classes,
                                     CrossEntropyOptions options);

// d loss_row / d logits scaled by row_scale[row * row_scale_stride] (stride 0: one scale for
// every row): grad[c] = scale * (A p[c] - t[c]) with t = (1 - eps) w[y] onehot(y) + eps / C w
// and A = sum_c t[c]; rows with y == ignore_index get 0.
template <typename T>
void cross_entropy_backward(const T* logits, const int64_t* target, const T* weight, const T* lse,
                            const T* row_scale, int64_t row_scale_stride, T* grad, int64_t rows,
                            int64_t classes, CrossEntropyOptions options);
template <typename T>
void cross_entropy_backward_reference(const T* logits, const int64_t* target, const T* weight,
                                      const T* lse, const T* row_scale, int64_t row_scale_stride,
                                      T* grad, int64_t rows, int64_t classes,
                                      CrossEntropyOptions options);

// ------------------------------------------------------------------------------- embedding
// grad_weight (num_embeddings, dim) = sum over i of scale_i * grad[i, :] added into row
// indices[i]; scale_i = 0 where indices[i] == padding_idx (padding_idx < 0: none), else
// 1 / count(indices[i]) with scale_grad_by_freq, else 1. grad_weight is overwritten.
template <typename T>
void embedding_backward(const T* grad, const int64_t* indices, int64_t n, int64_t dim,
                        int64_t num_embeddings, int64_t padding_idx, bool scale_grad_by_freq,
                        T* grad_weight);
template <typename T>
void embedding_backward_reference(const T* grad, const int64_t* indices, int64_t n, int64_t dim,
                                  int64_t num_embeddings, int64_t padding_idx,
                                  bool scale_grad_by_freq, T* grad_weight);

}  // namespace pybigml
