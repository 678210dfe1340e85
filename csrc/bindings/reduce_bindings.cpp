// Python entry points of the reduction kernels (pybigml/reduce.h). Each is registered twice:
// `_C.<name>` runs the fast kernel and `_C.<name>_reference` the plain loop beside it, which
// the tests compare against.
//
// Arrays are float32 or float64 (one dtype per call; indices int64). Apart from _C.reduce,
// which takes any strides, every array must be C-contiguous: the Python callers make views
// contiguous and reshape to the (outer, n, inner) or (rows, cols) form the kernels take.
// Every size, dtype, layout and index is checked here, so no bad input reaches a kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "arrays.h"
#include "pybigml/reduce.h"

namespace pybigml::bindings {
namespace {

std::string dtype_name(const py::array& x) { return py::str(x.dtype()).cast<std::string>(); }

// `obj` as a float32 or float64 numpy array, else TypeError naming the op.
py::array float_array(py::handle obj, const char* op, const char* name) {
  py::array x = require_array(obj, op, name);
  if (!py::array_t<float>::check_(x) && !py::array_t<double>::check_(x)) {
    throw py::type_error(std::string(op) + ": expected " + name +
                         " to be a float32 or float64 array, got " + describe(x));
  }
  element_strides(x, op, name);
  return x;
}

// `obj` as a float array of x's dtype (or None when allowed and given), C-contiguous, of shape
// `shape`.
py::array matching_array(py::handle obj, const char* op, const char* name, const py::array& like,
                         const std::vector<py::ssize_t>& shape) {
  py::array x = float_array(obj, op, name);
  if (!x.dtype().is(like.dtype()) && !x.dtype().equal(like.dtype())) {
    throw py::type_error(std::string(op) + ": expected " + name + " to have dtype " +
                         dtype_name(like) + " like the input, got " + describe(x));
  }
  const bool same_shape = x.ndim() == static_cast<py::ssize_t>(shape.size()) &&
                          std::equal(shape.begin(), shape.end(), x.shape());
  if (!same_shape) {
    throw std::runtime_error(std::string(op) + ": expected " + name + " of shape " +
                             shape_string(shape) + ", got " + describe(x));
  }
  return x;
}

void require_c_contiguous(const py::array& x, const char* op, const char* name) {
  if ((x.flags() & py::array::c_style) == 0) {
    throw py::value_error(std::string(op) + ": " + name + " (" + describe(x) +
                          ") must be C-contiguous (copy it with numpy.ascontiguousarray)");
  }
}

void require_ndim(const py::array& x, py::ssize_t ndim, const char* op, const char* name) {
  if (x.ndim() != ndim) {
    throw py::value_error(std::string(op) + ": expected " + name + " to be " +
                          std::to_string(ndim) + "-D, got " + describe(x));
  }
}

std::vector<py::ssize_t> shape_of(const py::array& x) {
  return std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim());
}

// An optional contiguous parameter vector of length `size` (None -> null pointer).
template <typename T>
const T* optional_vector(py::handle obj, const char* op, const char* name, const py::array& like,
                         py::ssize_t size, py::array& keep) {
  if (obj.is_none()) return nullptr;
  keep = matching_array(obj, op, name, like, {size});
  require_c_contiguous(keep, op, name);
  return static_cast<const T*>(keep.data());
}

// A contiguous 1-D int64 index array of length n, every value in [0, bound) or equal to
// `allowed` (ignore_index); IndexError naming the first offender otherwise.
py::array index_array(py::handle obj, const char* op, const char* name, py::ssize_t n,
                      int64_t bound, int64_t allowed, const char* what) {
  py::array x = require_array(obj, op, name);
  if (!py::array_t<int64_t>::check_(x)) {
    throw py::type_error(std::string(op) + ": expected " + name + " to be an int64 array, got " +
                         describe(x));
  }
  require_ndim(x, 1, op, name);
  require_c_contiguous(x, op, name);
  if (x.shape(0) != n) {
    throw std::runtime_error(std::string(op) + ": expected " + name + " of shape (" +
                             std::to_string(n) + ",), got " + describe(x));
  }
  const auto* data = static_cast<const int64_t*>(x.data());
  for (py::ssize_t i = 0; i < n; ++i) {
    if (data[i] != allowed && (data[i] < 0 || data[i] >= bound)) {
      throw py::index_error(std::string(op) + ": " + what + " " + std::to_string(data[i]) +
                            " is out of bounds (expected 0 <= index < " + std::to_string(bound) +
                            ")");
    }
  }
  return x;
}

bool is_double(const py::array& x) { return py::array_t<double>::check_(x); }

// ------------------------------------------------------------------------------- reduce
py::array reduce_binding(py::handle x_obj, const std::string& op_name, bool reference) {
  const char* op = reference ? "reduce_reference" : "reduce";
  const py::array x = float_array(x_obj, op, "x");
  require_ndim(x, 3, op, "x");
  const std::vector<int64_t> strides = element_strides(x, op, "x");
  const bool arg = op_name == "argmax" || op_name == "argmin";
  ReduceOp reduce_op = ReduceOp::kSum;
  if (op_name == "mean") {
    reduce_op = ReduceOp::kMean;
  } else if (op_name == "max") {
    reduce_op = ReduceOp::kMax;
  } else if (op_name == "min") {
    reduce_op = ReduceOp::kMin;
  } else if (op_name != "sum" && !arg) {
    throw py::value_error(std::string(op) + ": unknown op '" + op_name +
                          "' (expected sum, mean, max, min, argmax or argmin)");
  }
  const int64_t outer = x.shape(0), n = x.shape(1), inner = x.shape(2);
  const bool needs_values = arg || reduce_op == ReduceOp::kMax || reduce_op == ReduceOp::kMin;
  if (needs_values && n == 0 && outer * inner > 0) {
    throw std::runtime_error(std::string(op) + ": cannot take the " + op_name +
                             " of an empty axis (" + describe(x) + ", axis 1)");
  }
  const auto run = [&](auto typed) -> py::array {
    using T = decltype(typed);
    const StridedInput<T> input{
        static_cast<const T*>(x.data()), outer, n, inner, strides[0], strides[1], strides[2]};
    if (arg) {
      py::array_t<int64_t> out({outer, inner});
      int64_t* data = out.mutable_data();
      const ArgReduceOp kind = op_name == "argmax" ? ArgReduceOp::kArgmax : ArgReduceOp::kArgmin;
      py::gil_scoped_release release;
      (reference ? arg_reduce_reference<T> : arg_reduce<T>)(kind, input, data);
      return std::move(out);
    }
    py::array_t<T> out({outer, inner});
    T* data = out.mutable_data();
    py::gil_scoped_release release;
    (reference ? reduce_reference<T> : reduce<T>)(reduce_op, input, data);
    return std::move(out);
  };
  return is_double(x) ? run(double{}) : run(float{});
}

// ------------------------------------------------------------------------------- softmax
SoftmaxOp softmax_op(const std::string& name, const char* op) {
  if (name == "softmax") return SoftmaxOp::kSoftmax;
  if (name == "log_softmax") return SoftmaxOp::kLogSoftmax;
  throw py::value_error(std::string(op) + ": unknown op '" + name +
                        "' (expected softmax or log_softmax)");
}

// A C-contiguous 3-D float array (outer, n, inner).
py::array contiguous_3d(py::handle obj, const char* op, const char* name) {
  py::array x = float_array(obj, op, name);
  require_ndim(x, 3, op, name);
  require_c_contiguous(x, op, name);
  return x;
}

py::array softmax_binding(py::handle x_obj, const std::string& name, bool reference) {
  const char* op = reference ? "softmax_reference" : "softmax";
  const SoftmaxOp kind = softmax_op(name, op);
  const py::array x = contiguous_3d(x_obj, op, "x");
  const auto run = [&](auto typed) -> py::array {
    using T = decltype(typed);
    py::array_t<T> y(shape_of(x));
    const T* in = static_cast<const T*>(x.data());
    T* out = y.mutable_data();
    py::gil_scoped_release release;
    (reference ? softmax_forward_reference<T> : softmax_forward<T>)(kind, in, out, x.shape(0),
                                                                    x.shape(1), x.shape(2));
    return std::move(y);
  };
  return is_double(x) ? run(double{}) : run(float{});
}

py::array softmax_backward_binding(py::handle y_obj, py::handle grad_obj, const std::string& name,
                                   bool reference) {
  const char* op = reference ? "softmax_backward_reference" : "softmax_backward";
  const SoftmaxOp kind = softmax_op(name, op);
  const py::array y = contiguous_3d(y_obj, op, "y");
  const py::array grad = matching_array(grad_obj, op, "grad_y", y, shape_of(y));
  require_c_contiguous(grad, op, "grad_y");
  const auto run = [&](auto typed) -> py::array {
    using T = decltype(typed);
    py::array_t<T> grad_x(shape_of(y));
    const T* y_data = static_cast<const T*>(y.data());
    const T* g_data = static_cast<const T*>(grad.data());
    T* out = grad_x.mutable_data();
    py::gil_scoped_release release;
    (reference ? softmax_backward_reference<T> : softmax_backward<T>)(kind, y_data, g_data, out,
                                                                      y.shape(0), y.shape(1),
                                                                      y.shape(2));
    return std::move(grad_x);
  };
  return is_double(y) ? run(double{}) : run(float{});
}

py::array logsumexp_binding(py::handle x_obj, bool reference) {
  const char* op = reference ? "logsumexp_reference" : "logsumexp";
  const py::array x = contiguous_3d(x_obj, op, "x");
  const auto run = [&](auto typed) -> py::array {
    using T = decltype(typed);
    py::array_t<T> out({x.shape(0), x.shape(2)});
    const T* in = static_cast<const T*>(x.data());
    T* data = out.mutable_data();
    py::gil_scoped_release release;
    (reference ? logsumexp_reference<T> : logsumexp<T>)(in, data, x.shape(0), x.shape(1),
                                                        x.shape(2));
    return std::move(out);
  };
  return is_double(x) ? run(double{}) : run(float{});
}

// ------------------------------------------------------------------------------- layer norm
// A C-contiguous 2-D float array (rows, cols).
py::array contiguous_2d(py::handle obj, const char* op, const char* name) {
  py::array x = float_array(obj, op, name);
  require_ndim(x, 2, op, name);
  require_c_contiguous(x, op, name);
  return x;
}

py::tuple layer_norm_forward_binding(py::handle x_obj, py::handle weight_obj, py::handle bias_obj,
                                     double eps, bool reference) {
  const char* op = reference ? "layer_norm_forward_reference" : "layer_norm_forward";
  const py::array x = contiguous_2d(x_obj, op, "x");
  if (!(eps >= 0.0)) {
    throw py::value_error(std::string(op) + ": eps must be >= 0, got " + std::to_string(eps));
  }
  const int64_t rows = x.shape(0), cols = x.shape(1);
  const auto run = [&](auto typed) -> py::tuple {
    using T = decltype(typed);
    py::array keep_w, keep_b;
    const T* w = optional_vector<T>(weight_obj, op, "weight", x, cols, keep_w);
    const T* b = optional_vector<T>(bias_obj, op, "bias", x, cols, keep_b);
    py::array_t<T> y({rows, cols}), mean(rows), rstd(rows);
    const T* in = static_cast<const T*>(x.data());
    T *y_data = y.mutable_data(), *mean_data = mean.mutable_data(),
      *rstd_data = rstd.mutable_data();
    {
      py::gil_scoped_release release;
      (reference ? layer_norm_forward_reference<T>
                 : layer_norm_forward<T>)(in, w, b, y_data, mean_data, rstd_data, rows, cols, eps);
    }
    return py::make_tuple(y, mean, rstd);
  };
  return is_double(x) ? run(double{}) : run(float{});
}

py::tuple layer_norm_backward_binding(py::handle grad_obj, py::handle x_obj, py::handle mean_obj,
                                      py::handle rstd_obj, py::handle weight_obj, bool need_input,
                                      bool need_weight, bool need_bias, bool reference) {
  const char* op = reference ? "layer_norm_backward_reference" : "layer_norm_backward";
  const py::array x = contiguous_2d(x_obj, op, "x");
  const int64_t rows = x.shape(0), cols = x.shape(1);
  const py::array grad = matching_array(grad_obj, op, "grad_y", x, shape_of(x));
  require_c_contiguous(grad, op, "grad_y");
  const py::array mean = matching_array(mean_obj, op, "mean", x, {rows});
  const py::array rstd = matching_array(rstd_obj, op, "rstd", x, {rows});
  require_c_contiguous(mean, op, "mean");
  require_c_contiguous(rstd, op, "rstd");
  const auto run = [&](auto typed) -> py::tuple {
    using T = decltype(typed);
    py::array keep_w;
    const T* w = optional_vector<T>(weight_obj, op, "weight", x, cols, keep_w);
    py::object grad_x = py::none(), grad_w = py::none(), grad_b = py::none();
    T *gx = nullptr, *gw = nullptr, *gb = nullptr;
    if (need_input) {
      py::array_t<T> a({rows, cols});
      gx = a.mutable_data();
      grad_x = a;
    }
    if (need_weight) {
      py::array_t<T> a(cols);
      gw = a.mutable_data();
      grad_w = a;
    }
    if (need_bias) {
      py::array_t<T> a(cols);
      gb = a.mutable_data();
      grad_b = a;
    }
    const T* g = static_cast<const T*>(grad.data());
    const T* in = static_cast<const T*>(x.data());
    const T* mu = static_cast<const T*>(mean.data());
    const T* inv = static_cast<const T*>(rstd.data());
    {
      py::gil_scoped_release release;
      (reference ? layer_norm_backward_reference<T> : layer_norm_backward<T>)(g, in, mu, inv, w, gx,
                                                                              gw, gb, rows, cols);
    }
    return py::make_tuple(grad_x, grad_w, grad_b);
  };
  return is_double(x) ? run(double{}) : run(float{});
}

// ------------------------------------------------------------------------------- cross-entropy
CrossEntropyOptions cross_entropy_options(const char* op, int64_t ignore_index,
                                          double label_smoothing) {
  if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0)) {
    throw std::runtime_error(std::string(op) +
                             ": label_smoothing must be between 0.0 and 1.0, got " +
                             std::to_string(label_smoothing));
  }
  return {ignore_index, label_smoothing};
}

py::tuple cross_entropy_forward_binding(py::handle logits_obj, py::handle target_obj,
                                        py::handle weight_obj, int64_t ignore_index,
                                        double label_smoothing, bool reference) {
  const char* op = reference ? "cross_entropy_forward_reference" : "cross_entropy_forward";
  const py::array logits = contiguous_2d(logits_obj, op, "logits");
  const int64_t rows = logits.shape(0), classes = logits.shape(1);
  const CrossEntropyOptions options = cross_entropy_options(op, ignore_index, label_smoothing);
  const py::array target =
      index_array(target_obj, op, "target", rows, classes, ignore_index, "Target");
  const auto run = [&](auto typed) -> py::tuple {
    using T = decltype(typed);
    py::array keep_w;
    const T* w = optional_vector<T>(weight_obj, op, "weight", logits, classes, keep_w);
    py::array_t<T> loss(rows), lse(rows);
    const T* z = static_cast<const T*>(logits.data());
    const auto* y = static_cast<const int64_t*>(target.data());
    T *loss_data = loss.mutable_data(), *lse_data = lse.mutable_data();
    {
      py::gil_scoped_release release;
      (reference ? cross_entropy_forward_reference<T>
                 : cross_entropy_forward<T>)(z, y, w, loss_data, lse_data, rows, classes, options);
    }
    return py::make_tuple(loss, lse);
  };
  return is_double(logits) ? run(double{}) : run(float{});
}

py::array cross_entropy_backward_binding(py::handle logits_obj, py::handle target_obj,
                                         py::handle weight_obj, py::handle lse_obj,
                                         py::handle scale_obj, int64_t ignore_index,
                                         double label_smoothing, bool reference) {
  const char* op = reference ? "cross_entropy_backward_reference" : "cross_entropy_backward";
  const py::array logits = contiguous_2d(logits_obj, op, "logits");
  const int64_t rows = logits.shape(0), classes = logits.shape(1);
  const CrossEntropyOptions options = cross_entropy_options(op, ignore_index, label_smoothing);
  const py::array target =
      index_array(target_obj, op, "target", rows, classes, ignore_index, "Target");
  const py::array lse = matching_array(lse_obj, op, "lse", logits, {rows});
  require_c_contiguous(lse, op, "lse");
  py::array scale = float_array(scale_obj, op, "row_scale");
  const bool one_scale = scale.ndim() == 1 && scale.shape(0) == 1;
  scale = matching_array(scale_obj, op, "row_scale", logits, {one_scale ? 1 : rows});
  require_c_contiguous(scale, op, "row_scale");
  const auto run = [&](auto typed) -> py::array {
    using T = decltype(typed);
    py::array keep_w;
    const T* w = optional_vector<T>(weight_obj, op, "weight", logits, classes, keep_w);
    py::array_t<T> grad({rows, classes});
    const T* z = static_cast<const T*>(logits.data());
    const auto* y = static_cast<const int64_t*>(target.data());
    const T* lse_data = static_cast<const T*>(lse.data());
    const T* scale_data = static_cast<const T*>(scale.data());
    T* out = grad.mutable_data();
    {
      py::gil_scoped_release release;
      (reference ? cross_entropy_backward_reference<T>
                 : cross_entropy_backward<T>)(z, y, w, lse_data, scale_data, one_scale ? 0 : 1, out,
                                              rows, classes, options);
    }
    return std::move(grad);
  };
  return is_double(logits) ? run(double{}) : run(float{});
}

// ------------------------------------------------------------------------------- embedding
py::array embedding_backward_binding(py::handle grad_obj, py::handle indices_obj,
                                     int64_t num_embeddings, int64_t padding_idx,
                                     bool scale_grad_by_freq, bool reference) {
  const char* op = reference ? "embedding_backward_reference" : "embedding_backward";
  const py::array grad = contiguous_2d(grad_obj, op, "grad");
  if (num_embeddings < 0) {
    throw py::value_error(std::string(op) + ": num_embeddings must be >= 0, got " +
                          std::to_string(num_embeddings));
  }
  const int64_t n = grad.shape(0), dim = grad.shape(1);
  // -1 can never be an index, so as `allowed` it admits nothing beyond [0, num_embeddings)
  const py::array indices = index_array(indices_obj, op, "indices", n, num_embeddings, -1, "index");
  const int64_t padding = padding_idx >= 0 && padding_idx < num_embeddings ? padding_idx : -1;
  const auto run = [&](auto typed) -> py::array {
    using T = decltype(typed);
    py::array_t<T> grad_weight({num_embeddings, dim});
    const T* g = static_cast<const T*>(grad.data());
    const auto* idx = static_cast<const int64_t*>(indices.data());
    T* out = grad_weight.mutable_data();
    {
      py::gil_scoped_release release;
      (reference ? embedding_backward_reference<T>
                 : embedding_backward<T>)(g, idx, n, dim, num_embeddings, padding,
                                          scale_grad_by_freq, out);
    }
    return std::move(grad_weight);
  };
  return is_double(grad) ? run(double{}) : run(float{});
}

}  // namespace

void register_reduce(py::module_& m) {
  for (const bool reference : {false, true}) {
    const std::string suffix = reference ? "_reference" : "";
    const char* which = reference ? "The plain single-threaded loop (test reference) for: " : "";
    m.def(("reduce" + suffix).c_str(),
          [reference](py::handle x, const std::string& op) {
            return reduce_binding(x, op, reference);
          },
          py::arg("x"), py::arg("op"),
          (std::string(which) +
           "Reduces the middle axis of a 3-D float32/float64 array (outer, n, inner) of any "
           "strides. op: 'sum', 'mean', 'max', 'min' (result dtype of x) or 'argmax', 'argmin' "
           "(int64; first pick, NaN wins). Returns a C-contiguous (outer, inner) array.")
              .c_str());
    m.def(("softmax" + suffix).c_str(),
          [reference](py::handle x, const std::string& op) {
            return softmax_binding(x, op, reference);
          },
          py::arg("x"), py::arg("op") = "softmax",
          (std::string(which) +
           "softmax (op='softmax') or log_softmax (op='log_softmax') along axis 1 of a "
           "C-contiguous 3-D array (outer, n, inner). Returns a new array of x's shape.")
              .c_str());
    m.def(("softmax_backward" + suffix).c_str(),
          [reference](py::handle y, py::handle grad_y, const std::string& op) {
            return softmax_backward_binding(y, grad_y, op, reference);
          },
          py::arg("y"), py::arg("grad_y"), py::arg("op") = "softmax",
          (std::string(which) +
           "The input gradient of softmax/log_softmax along axis 1 from its output y and the "
           "output gradient grad_y (both C-contiguous 3-D, one shape and dtype).")
              .c_str());
    m.def(("logsumexp" + suffix).c_str(),
          [reference](py::handle x) { return logsumexp_binding(x, reference); }, py::arg("x"),
          (std::string(which) +
           "log(sum(exp(x))) along axis 1 of a C-contiguous 3-D array; returns (outer, inner).")
              .c_str());
    m.def(("layer_norm_forward" + suffix).c_str(),
          [reference](py::handle x, py::handle weight, py::handle bias, double eps) {
            return layer_norm_forward_binding(x, weight, bias, eps, reference);
          },
          py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("eps"),
          (std::string(which) +
           "Layer norm of each row of a C-contiguous (rows, cols) array, weight/bias (cols,) or "
           "None. Returns (y, mean, rstd), mean and rstd of shape (rows,).")
              .c_str());
    m.def(("layer_norm_backward" + suffix).c_str(),
          [reference](py::handle grad_y, py::handle x, py::handle mean, py::handle rstd,
                      py::handle weight, bool need_input, bool need_weight, bool need_bias) {
            return layer_norm_backward_binding(grad_y, x, mean, rstd, weight, need_input,
                                               need_weight, need_bias, reference);
          },
          py::arg("grad_y"), py::arg("x"), py::arg("mean"), py::arg("rstd"), py::arg("weight"),
          py::arg("need_input") = true, py::arg("need_weight") = true, py::arg("need_bias") = true,
          (std::string(which) +
           "Layer norm gradients from the forward's saved mean and rstd. Returns (grad_x, "
           "grad_weight, grad_bias), None where not needed.")
              .c_str());
    m.def(("cross_entropy_forward" + suffix).c_str(),
          [reference](py::handle logits, py::handle target, py::handle weight, int64_t ignore_index,
                      double label_smoothing) {
            return cross_entropy_forward_binding(logits, target, weight, ignore_index,
                                                 label_smoothing, reference);
          },
          py::arg("logits"), py::arg("target"), py::arg("weight"), py::arg("ignore_index"),
          py::arg("label_smoothing"),
          (std::string(which) +
           "Per-row cross-entropy of C-contiguous logits (rows, classes) and int64 class targets "
           "(rows,), weight (classes,) or None. Returns (loss, lse), each (rows,).")
              .c_str());
    m.def(("cross_entropy_backward" + suffix).c_str(),
          [reference](py::handle logits, py::handle target, py::handle weight, py::handle lse,
                      py::handle row_scale, int64_t ignore_index, double label_smoothing) {
            return cross_entropy_backward_binding(logits, target, weight, lse, row_scale,
                                                  ignore_index, label_smoothing, reference);
          },
          py::arg("logits"), py::arg("target"), py::arg("weight"), py::arg("lse"),
          py::arg("row_scale"), py::arg("ignore_index"), py::arg("label_smoothing"),
          (std::string(which) +
           "Gradient of row_scale[row] * loss_row with respect to the logits; row_scale is "
           "(rows,) or (1,). Returns (rows, classes).")
              .c_str());
    m.def(("embedding_backward" + suffix).c_str(),
          [reference](py::handle grad, py::handle indices, int64_t num_embeddings,
                      int64_t padding_idx, bool scale_grad_by_freq) {
            return embedding_backward_binding(grad, indices, num_embeddings, padding_idx,
                                              scale_grad_by_freq, reference);
          },
          py::arg("grad"), py::arg("indices"), py::arg("num_embeddings"),
          py::arg("padding_idx") = -1, py::arg("scale_grad_by_freq") = false,
          (std::string(which) +
           "The embedding weight gradient: rows of grad (n, dim) summed into rows indices (n,) "
           "of a new (num_embeddings, dim) array; padding_idx < 0 means none.")
              .c_str());
  }
}

}  // namespace pybigml::bindings
