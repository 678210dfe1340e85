// Python entry points of the attention kernels:
//   _C.attention_forward(q, k, v, mask, scale, is_causal) -> (out, lse)
//   _C.attention_backward(q, k, v, mask, out, lse, grad_out, scale, is_causal)
//       -> (grad_q, grad_k, grad_v)
// and the same two with the suffix _reference (the one-thread kernels that materialise scores).
//
// Accepted: q (B, H, L, E), k (B, Hk, S, E), v (B, Hk, S, Ev), all float32 or all float64, with
// H a multiple of Hk (query head h reads key/value head h / (H / Hk)). Each row (last axis)
// must be contiguous; every other axis may have any stride, 0 included (a broadcast batch).
// mask: None, or a bool or same-dtype 4-D array whose axes are each the size of (B, H, L, S)
// or 1 (a size-1 axis is read with stride 0: a (B, 1, 1, S) key-padding mask is never
// expanded). out (B, H, L, Ev) and lse (B, H, L) are C-contiguous; the gradients are new
// C-contiguous arrays of shape (B, H, L, E), (B, H, S, E) and (B, H, S, Ev), per query head.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "arrays.h"
#include "pybigml/attention.h"

namespace pybigml::bindings {
namespace {

std::string dtype_name(const py::array& x) { return py::str(x.dtype()).cast<std::string>(); }

template <typename T>
bool is_type(const py::array& x) {
  return py::array_t<T>::check_(x);
}

// The sizes of the call, checked: 4-D operands whose shapes agree.
AttentionShape check_shapes(const char* op, const py::array& q, const py::array& k,
                            const py::array& v, double scale, bool causal) {
  const std::string shapes =
      "q " + shape_string(q) + ", k " + shape_string(k) + ", v " + shape_string(v);
  if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4) {
    throw py::value_error(std::string(op) +
                          ": expected 4-D q (B, H, L, E), k (B, Hk, S, E) and v (B, Hk, S, Ev), "
                          "got " +
                          shapes);
  }
  const py::ssize_t heads = q.shape(1), kv_heads = k.shape(1);
  const bool agree = k.shape(0) == q.shape(0) && v.shape(0) == q.shape(0) &&
                     v.shape(1) == kv_heads && k.shape(3) == q.shape(3) &&
                     v.shape(2) == k.shape(2) &&
                     (kv_heads == 0 ? heads == 0 : heads % kv_heads == 0);
  if (!agree) {
    throw std::runtime_error(std::string(op) +
                             ": shapes do not agree (expected q (B, H, L, E), k (B, Hk, S, E), "
                             "v (B, Hk, S, Ev) with H a multiple of Hk), got " +
                             shapes);
  }
  return AttentionShape{q.shape(0), heads,      kv_heads == 0 ? 1 : heads / kv_heads,
                        q.shape(2), k.shape(2), q.shape(3),
                        v.shape(3), scale,      causal};
}

// x as a kernel operand: `shape` expected exactly, rows contiguous.
template <typename T>
AttentionInput<T> input_of(const char* op, const char* name, const py::array& x,
                           const std::vector<py::ssize_t>& shape) {
  if (x.ndim() != static_cast<py::ssize_t>(shape.size()) ||
      !std::equal(shape.begin(), shape.end(), x.shape())) {
    throw std::runtime_error(std::string(op) + ": expected " + name + " of shape " +
                             shape_string(shape) + ", got " + describe(x));
  }
  const std::vector<int64_t> strides = element_strides(x, op, name);
  if (x.size() > 0 && x.shape(3) > 1 && strides[3] != 1) {
    throw py::value_error(std::string(op) + ": " + name + " (" + describe(x) +
                          ") must have contiguous rows (last-axis stride 1, got " +
                          std::to_string(strides[3]) + " elements); copy it first");
  }
  return {static_cast<const T*>(x.data()), strides[0], strides[1], strides[2]};
}

// The mask, its size-1 axes broadcast with stride 0.
template <typename T>
AttentionMask<T> mask_of(const char* op, py::handle mask_obj, const AttentionShape& s) {
  AttentionMask<T> mask{nullptr, nullptr, 0, 0, 0, 0};
  if (mask_obj.is_none()) return mask;
  const py::array m = require_array(mask_obj, op, "mask");
  const bool is_bool = m.dtype().kind() == 'b';
  if (!is_bool && !is_type<T>(m)) {
    throw py::type_error(std::string(op) + ": expected a bool mask or one of dtype " +
                         py::str(py::dtype::of<T>()).cast<std::string>() + ", got " + describe(m));
  }
  const std::vector<py::ssize_t> full{s.batch, s.heads, s.query_length, s.key_length};
  bool broadcastable = m.ndim() == 4;
  for (py::ssize_t axis = 0; broadcastable && axis < 4; ++axis) {
    broadcastable = m.shape(axis) == full[axis] || m.shape(axis) == 1;
  }
  if (!broadcastable) {
    throw std::runtime_error(std::string(op) + ": mask (" + describe(m) +
                             ") does not broadcast to the scores' shape " + shape_string(full) +
                             " (expected 4 axes, each of that size or 1)");
  }
  const std::vector<int64_t> strides = element_strides(m, op, "mask");
  int64_t* broadcast_strides[] = {&mask.batch_stride, &mask.head_stride, &mask.row_stride,
                                  &mask.col_stride};
  for (py::ssize_t axis = 0; axis < 4; ++axis) {
    *broadcast_strides[axis] = m.shape(axis) == 1 ? 0 : strides[axis];
  }
  if (is_bool) {
    mask.keep = static_cast<const bool*>(m.data());
  } else {
    mask.bias = static_cast<const T*>(m.data());
  }
  return mask;
}

// A C-contiguous array of `shape` and dtype T, as the forward returned it.
template <typename T>
const T* saved_of(const char* op, const char* name, py::handle obj,
                  const std::vector<py::ssize_t>& shape) {
  const py::array x = require_array(obj, op, name);
  const bool ok = is_type<T>(x) && (x.flags() & py::array::c_style) != 0 &&
                  x.ndim() == static_cast<py::ssize_t>(shape.size()) &&
                  std::equal(shape.begin(), shape.end(), x.shape());
  if (!ok) {
    throw py::value_error(std::string(op) + ": expected " + name + " to be a C-contiguous " +
                          py::str(py::dtype::of<T>()).cast<std::string>() + " array of shape " +
                          shape_string(shape) + ", got " + describe(x));
  }
  element_strides(x, op, name);
  return static_cast<const T*>(x.data());
}

// Calls f.template operator()<T>() with T the common float type of q, k and v.
template <typename F>
auto with_dtype(const char* op, const py::array& q, const py::array& k, const py::array& v, F&& f) {
  if (is_type<float>(q) && is_type<float>(k) && is_type<float>(v)) return f(float{});
  if (is_type<double>(q) && is_type<double>(k) && is_type<double>(v)) return f(double{});
  throw py::type_error(
      std::string(op) + ": expected q, k and v of one dtype, float32 or float64, got " +
      dtype_name(q) + ", " + dtype_name(k) + " and " + dtype_name(v) + " (shapes " +
      shape_string(q) + ", " + shape_string(k) + ", " + shape_string(v) + ")");
}

struct Operands {
  py::array q, k, v;
};

Operands operands(const char* op, py::handle q, py::handle k, py::handle v) {
  return {require_array(q, op, "q"), require_array(k, op, "k"), require_array(v, op, "v")};
}

py::tuple forward(const char* op, bool reference, py::handle q_obj, py::handle k_obj,
                  py::handle v_obj, py::handle mask_obj, double scale, bool causal) {
  const Operands x = operands(op, q_obj, k_obj, v_obj);
  return with_dtype(op, x.q, x.k, x.v, [&](auto zero) -> py::tuple {
    using T = decltype(zero);
    const AttentionShape s = check_shapes(op, x.q, x.k, x.v, scale, causal);
    const auto q = input_of<T>(op, "q", x.q, {s.batch, s.heads, s.query_length, s.head_dim});
    const py::ssize_t kv_heads = x.k.shape(1);
    const auto k = input_of<T>(op, "k", x.k, {s.batch, kv_heads, s.key_length, s.head_dim});
    const auto v = input_of<T>(op, "v", x.v, {s.batch, kv_heads, s.key_length, s.value_dim});
    const AttentionMask<T> mask = mask_of<T>(op, mask_obj, s);
    py::array_t<T> out({s.batch, s.heads, s.query_length, s.value_dim});
    py::array_t<T> lse({s.batch, s.heads, s.query_length});
    {
      py::gil_scoped_release release;
      const auto kernel = reference ? attention_forward_reference<T> : attention_forward<T>;
      kernel(s, q, k, v, mask, out.mutable_data(), lse.mutable_data());
    }
    return py::make_tuple(out, lse);
  });
}

py::tuple backward(const char* op, bool reference, py::handle q_obj, py::handle k_obj,
                   py::handle v_obj, py::handle mask_obj, py::handle out_obj, py::handle lse_obj,
                   py::handle grad_out_obj, double scale, bool causal) {
  const Operands x = operands(op, q_obj, k_obj, v_obj);
  const py::array grad_out_array = require_array(grad_out_obj, op, "grad_out");
  return with_dtype(op, x.q, x.k, x.v, [&](auto zero) -> py::tuple {
    using T = decltype(zero);
    const AttentionShape s = check_shapes(op, x.q, x.k, x.v, scale, causal);
    const auto q = input_of<T>(op, "q", x.q, {s.batch, s.heads, s.query_length, s.head_dim});
    const py::ssize_t kv_heads = x.k.shape(1);
    const auto k = input_of<T>(op, "k", x.k, {s.batch, kv_heads, s.key_length, s.head_dim});
    const auto v = input_of<T>(op, "v", x.v, {s.batch, kv_heads, s.key_length, s.value_dim});
    const AttentionMask<T> mask = mask_of<T>(op, mask_obj, s);
    const std::vector<py::ssize_t> out_shape{s.batch, s.heads, s.query_length, s.value_dim};
    const T* out = saved_of<T>(op, "out", out_obj, out_shape);
    const T* lse = saved_of<T>(op, "lse", lse_obj, {s.batch, s.heads, s.query_length});
    if (!is_type<T>(grad_out_array)) {
      throw py::type_error(std::string(op) + ": expected grad_out of dtype " +
                           py::str(py::dtype::of<T>()).cast<std::string>() + ", got " +
                           describe(grad_out_array));
    }
    const auto grad_out = input_of<T>(op, "grad_out", grad_out_array, out_shape);
    py::array_t<T> grad_q({s.batch, s.heads, s.query_length, s.head_dim});
    py::array_t<T> grad_k({s.batch, s.heads, s.key_length, s.head_dim});
    py::array_t<T> grad_v({s.batch, s.heads, s.key_length, s.value_dim});
    {
      py::gil_scoped_release release;
      const auto kernel = reference ? attention_backward_reference<T> : attention_backward<T>;
      kernel(s, q, k, v, mask, out, lse, grad_out, grad_q.mutable_data(), grad_k.mutable_data(),
             grad_v.mutable_data());
    }
    return py::make_tuple(grad_q, grad_k, grad_v);
  });
}

constexpr const char* kForwardDoc = R"doc(Fused scaled dot-product attention, forward.

Args:
    q: (B, H, L, E) float32 or float64 array, rows contiguous, other strides free.
    k: (B, Hk, S, E), same dtype, H a multiple of Hk (grouped-query attention).
    v: (B, Hk, S, Ev), same dtype.
    mask: None, or a bool (True = attend) or same-dtype (added to the scores) 4-D array whose
        axes are each the size of (B, H, L, S) or 1.
    scale: multiplies q k^T before the mask.
    is_causal: keep key j for query i only when j <= i.

Returns:
    (out, lse): out (B, H, L, Ev) and the row log-sum-exp lse (B, H, L), +inf for a query whose
    every key is masked (its output row is 0).

Raises:
    TypeError: not numpy arrays, or dtypes that are not one float type (mask: bool or it).
    RuntimeError: shapes that do not agree, or a mask that does not broadcast.
    ValueError: not 4-D, rows not contiguous, or misaligned data.
)doc";

constexpr const char* kBackwardDoc = R"doc(Fused scaled dot-product attention, backward.

Args:
    q, k, v, mask, scale, is_causal: as given to attention_forward.
    out, lse: what attention_forward returned for them (C-contiguous).
    grad_out: (B, H, L, Ev) gradient of out, same dtype, rows contiguous.

Returns:
    (grad_q, grad_k, grad_v) of shapes (B, H, L, E), (B, H, S, E), (B, H, S, Ev): the key and
    value gradients per query head (sum each group of H / Hk heads for grouped-query attention).
)doc";

}  // namespace

void register_attention(py::module_& m) {
  for (const bool reference : {false, true}) {
    const std::string suffix = reference ? "_reference" : "";
    const std::string forward_name = "attention_forward" + suffix;
    const std::string backward_name = "attention_backward" + suffix;
    m.def(
        forward_name.c_str(),
        [reference](py::handle q, py::handle k, py::handle v, py::handle mask, double scale,
                    bool is_causal) {
          return forward(reference ? "attention_forward_reference" : "attention_forward", reference,
                         q, k, v, mask, scale, is_causal);
        },
        py::arg("q"), py::arg("k"), py::arg("v"), py::arg("mask"), py::arg("scale"),
        py::arg("is_causal"),
        reference ? "Same as attention_forward, computed by the one-thread kernel that "
                    "materialises each head's score matrix: the reference for tests."
                  : kForwardDoc);
    m.def(
        backward_name.c_str(),
        [reference](py::handle q, py::handle k, py::handle v, py::handle mask, py::handle out,
                    py::handle lse, py::handle grad_out, double scale, bool is_causal) {
          return backward(reference ? "attention_backward_reference" : "attention_backward",
                          reference, q, k, v, mask, out, lse, grad_out, scale, is_causal);
        },
        py::arg("q"), py::arg("k"), py::arg("v"), py::arg("mask"), py::arg("out"), py::arg("lse"),
        py::arg("grad_out"), py::arg("scale"), py::arg("is_causal"),
        reference ? "Same as attention_backward, computed by the one-thread kernel that "
                    "materialises each head's score matrix (textbook softmax backward): the "
                    "reference for tests."
                  : kBackwardDoc);
  }
}

}  // namespace pybigml::bindings
