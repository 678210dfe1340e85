// Scaled dot-product attention on the CPU: out = softmax(q k^T * scale + mask) v, forward and
// backward, over a batch of heads.
//
// The kernels see plain pointers, sizes and element strides, never Python objects. Callers (the
// bindings) guarantee that every pointer, stride and size describes memory that is valid to
// read (inputs) or write (outputs) and that outputs overlap no input.
#pragma once

#include <cstdint>

namespace pybigml {

// The sizes of one attention call. Query head h reads key/value head h / kv_groups, so
// kv_heads = heads / kv_groups (grouped-query attention; kv_groups == heads broadcasts one
// key/value head to all query heads).
struct AttentionShape {
  int64_t batch;
  int64_t heads;
  int64_t kv_groups;
  int64_t query_length;  // L
  int64_t key_length;    // S
  int64_t head_dim;      // E: query and key features
  int64_t value_dim;     // Ev
  double scale;
  bool causal;  // keep key j for query i only when j <= i (aligned at the top left)
};

// A 4-D operand (batch, head, row, feature): element (b, h, i, e) at
// data[b * batch_stride + h * head_stride + i * row_stride + e]. Features are contiguous;
// the other strides are free (0 broadcasts).
template <typename T>
struct AttentionInput {
  const T* data;
  int64_t batch_stride;
  int64_t head_stride;
  int64_t row_stride;
};

// The optional mask over (batch, head, query, key), read through element strides (0 for a
// broadcast axis, so a (B, 1, 1, S) key-padding mask is never expanded). At most one of
// `keep` (bool: true = attend) and `bias` (added to the scaled scores) is set.
template <typename T>
struct AttentionMask {
  const bool* keep;
  const T* bias;
  int64_t batch_stride;
  int64_t head_stride;
  int64_t row_stride;
  int64_t col_stride;
};

// out (B, H, L, Ev) and lse (B, H, L), both C-contiguous: the attention output and the
// log-sum-exp of each query's scaled, masked scores. A query whose every key is masked gets
// out = 0 and lse = +inf (so that its recomputed probabilities exp(s - lse) are 0).
// Fast path: query x key tiles with an online softmax, never the L x S score matrix.
template <typename T>
void attention_forward(const AttentionShape& shape, AttentionInput<T> q, AttentionInput<T> k,
                       AttentionInput<T> v, AttentionMask<T> mask, T* out, T* lse);

// Gradients of the forward's inputs given grad_out = dL/d out (same layout rules as q): grad_q
// (B, H, L, E), grad_k (B, H, S, E) and grad_v (B, H, S, Ev), C-contiguous, all per *query*
// head (with kv_groups > 1 the caller sums each group of heads). out and lse are the forward's.
template <typename T>
void attention_backward(const AttentionShape& shape, AttentionInput<T> q, AttentionInput<T> k,
                        AttentionInput<T> v, AttentionMask<T> mask, const T* out, const T* lse,
                        AttentionInput<T> grad_out, T* grad_q, T* grad_k, T* grad_v);

// Same contracts, computed the textbook way on one thread (the full L x S score matrix of
// each head materialised): the references the tests hold the fast kernels to.
template <typename T>
void attention_forward_reference(const AttentionShape& shape, AttentionInput<T> q,
                                 AttentionInput<T> k, AttentionInput<T> v, AttentionMask<T> mask,
                                 T* out, T* lse);

template <typename T>
void attention_backward_reference(const AttentionShape& shape, AttentionInput<T> q,
                                  AttentionInput<T> k, AttentionInput<T> v, AttentionMask<T> mask,
                                  const T* out, const T* lse, AttentionInput<T> grad_out, T* grad_q,
                                  T* grad_k, T* grad_v);

}  // namespace pybigml
