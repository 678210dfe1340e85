// Python entry points of the pooling kernels (pybigml/pool.h).
//
// Every function takes C-contiguous float32 or float64 arrays of shape (..., H, W): the leading
// axes are planes (N, C or both; a 1-D signal is passed as (..., 1, L)), and returns new
// C-contiguous arrays of shape (..., out_h, out_w). Window parameters are pairs (h, w). The
// checks, and their messages, are PyTorch's, so that pybigml.nn.functional can pass them on
// as they are; indices given to a backward are checked against the plane they point into.
//
//   max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode) -> (out, indices)
//   max_pool2d_backward(grad_out, indices, input_size) -> grad_x   (adaptive max pool's too)
//   avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
//   avg_pool2d_backward(grad_out, input_size, kernel_size, stride, padding, ceil_mode,
//                       count_include_pad, divisor_override) -> grad_x
//   adaptive_avg_pool2d(x, output_size), adaptive_avg_pool2d_backward(grad_out, input_size)
//   adaptive_max_pool2d(x, output_size) -> (out, indices)
//   pool_output_size(size, kernel_size, stride, padding, dilation, ceil_mode) -> int
// and each with a `_reference` twin running the plain single-threaded kernel.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "arrays.h"
#include "pybigml/pool.h"

namespace pybigml::bindings {
namespace {

using Pair = std::array<int64_t, 2>;

// Window parameters beyond this are nonsense and could overflow the index arithmetic.
constexpr int64_t kMaxParameter = int64_t{1} << 31;

std::string pair_string(const Pair& p) {
  return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")";
}

// PyTorch's pooling_output_shape: floor (or ceil) of the positions a window can start at, where
// with ceil_mode the last window must start inside the input or its left padding.
int64_t pool_output_size(int64_t size, int64_t kernel, int64_t stride, int64_t pad,
                         int64_t dilation, bool ceil_mode) {
  const int64_t span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  // Floor division: the span may be negative when the window is larger than the input.
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= size + pad) --out;
  return out;
}

// The planes of a (..., H, W) array: leading shape, their count and the plane size.
struct Planes {
  std::vector<py::ssize_t> lead;
  int64_t count = 1;
  int64_t h = 0, w = 0;

  std::vector<py::ssize_t> with(int64_t out_h, int64_t out_w) const {
    std::vector<py::ssize_t> shape = lead;
    shape.push_back(out_h);
    shape.push_back(out_w);
    return shape;
  }
};

// x as a C-contiguous T array of at least 3 dimensions, split into planes.
template <typename T>
Planes planes_of(const char* op, const char* name, const py::array& x) {
  if (!py::array_t<T>::check_(x) || (x.flags() & py::array::c_style) == 0 || x.ndim() < 3) {
    throw py::value_error(std::string(op) + ": expected " + name + " to be a C-contiguous " +
                          py::str(py::dtype::of<T>()).cast<std::string>() +
                          " array of shape (..., H, W) with at least 3 dimensions, got " +
                          describe(x));
  }
  element_strides(x, op, name);
  Planes p;
  for (py::ssize_t axis = 0; axis + 2 < x.ndim(); ++axis) {
    p.lead.push_back(x.shape(axis));
    p.count *= x.shape(axis);
  }
  p.h = x.shape(x.ndim() - 2);
  p.w = x.shape(x.ndim() - 1);
  return p;
}

// Calls body(T{}) with T the float type of x; TypeError for any other dtype.
template <typename Body>
py::object dispatch(const char* op, const py::array& x, Body&& body) {
  if (py::array_t<float>::check_(x)) return body(float{});
  if (py::array_t<double>::check_(x)) return body(double{});
  throw py::type_error(std::string(op) + ": expected a float32 or float64 array, got " +
                       describe(x));
}

void require_nonempty_planes(const char* op, const py::array& x, const Planes& p) {
  if (p.h < 1 || p.w < 1) {
    throw std::runtime_error(std::string(op) + ": expected non-empty planes (H, W >= 1), got " +
                             describe(x));
  }
}

// PyTorch's checks of a pooling window, in PyTorch's order and words; returns the geometry.
PoolWindow check_window(const char* op, const Planes& in, Pair kernel, Pair stride, Pair pad,
                        Pair dilation, bool ceil_mode, bool is_max) {
  for (const Pair* p : {&kernel, &stride, &pad, &dilation}) {
    for (int64_t v : *p) {
      if (v >= kMaxParameter || v <= -kMaxParameter) {
        throw std::runtime_error(std::string(op) + ": window parameter " + std::to_string(v) +
                                 " is out of range");
      }
    }
  }
  if (kernel[0] <= 0 || kernel[1] <= 0) {
    throw std::runtime_error("kernel_size should be greater than zero, but got kH: " +
                             std::to_string(kernel[0]) + " kW: " + std::to_string(kernel[1]));
  }
  if (stride[0] == 0 || stride[1] == 0) throw std::runtime_error("stride should not be zero");
  if (stride[0] < 0 || stride[1] < 0) {
    throw std::runtime_error("stride should be greater than zero, but got dH: " +
                             std::to_string(stride[0]) + " dW: " + std::to_string(stride[1]));
  }
  if (dilation[0] <= 0 || dilation[1] <= 0) {
    throw std::runtime_error(
        "dilation should be greater than zero, but got dilationH: " + std::to_string(dilation[0]) +
        " dilationW: " + std::to_string(dilation[1]));
  }
  for (int axis = 0; axis < 2; ++axis) {
    if (pad[axis] < 0) {
      throw std::runtime_error("pad must be non-negative, but got pad: " +
                               std::to_string(pad[axis]));
    }
    if (pad[axis] > ((kernel[axis] - 1) * dilation[axis] + 1) / 2) {
      throw std::runtime_error("pad should be at most half of effective kernel size, but got pad=" +
                               std::to_string(pad[axis]) +
                               ", kernel_size=" + std::to_string(kernel[axis]) +
                               " and dilation=" + std::to_string(dilation[axis]));
    }
  }
  if (is_max && (pad[0] > kernel[0] / 2 || pad[1] > kernel[1] / 2)) {
    throw std::runtime_error(
        "pad should be smaller than or equal to half of kernel size, but got padW = " +
        std::to_string(pad[1]) + ", padH = " + std::to_string(pad[0]) +
        ", kW = " + std::to_string(kernel[1]) + ", kH = " + std::to_string(kernel[0]));
  }
  const int64_t out_h =
      pool_output_size(in.h, kernel[0], stride[0], pad[0], dilation[0], ceil_mode);
  const int64_t out_w =
      pool_output_size(in.w, kernel[1], stride[1], pad[1], dilation[1], ceil_mode);
  if (out_h < 1 || out_w < 1) {
    const std::string channels = std::to_string(in.lead.empty() ? 1 : in.lead.back());
    throw std::runtime_error("Given input size: (" + channels + "x" + std::to_string(in.h) + "x" +
                             std::to_string(in.w) + "). Calculated output size: (" + channels +
                             "x" + std::to_string(out_h) + "x" + std::to_string(out_w) +
                             "). Output size is too small");
  }
  return {in.count,  in.h,      in.w,   out_h,  out_w,       kernel[0],  kernel[1],
          stride[0], stride[1], pad[0], pad[1], dilation[0], dilation[1]};
}

// A grad_output (or indices) array must have the planes and output size the forward made.
void check_output_planes(const char* op, const char* name, const py::array& x, const Planes& p,
                         const Planes& expected_lead, const PoolWindow& w) {
  if (p.lead != expected_lead.lead || p.h != w.out_h || p.w != w.out_w) {
    throw std::runtime_error(std::string(op) + ": expected " + name + " of shape " +
                             shape_string(expected_lead.with(w.out_h, w.out_w)) + ", got " +
                             describe(x));
  }
}

Planes planes_from_size(const Planes& lead, Pair size) {
  Planes p = lead;
  p.h = size[0];
  p.w = size[1];
  return p;
}

void check_input_size(const char* op, Pair input_size) {
  if (input_size[0] < 1 || input_size[1] < 1 || input_size[0] >= kMaxParameter ||
      input_size[1] >= kMaxParameter) {
    throw std::runtime_error(std::string(op) + ": input_size must be positive, got " +
                             pair_string(input_size));
  }
}

AvgDivisor avg_divisor(py::handle divisor_override) {
  if (divisor_override.is_none()) return {false, 0};
  const int64_t d = divisor_override.cast<int64_t>();
  if (d == 0) throw std::runtime_error("divisor must be not zero");
  return {false, d};
}

// Entry points: the checks, then the kernel with the GIL released.
py::object max_pool2d_entry(const char* op, const py::array& x, Pair kernel, Pair stride, Pair pad,
                            Pair dilation, bool ceil_mode, bool reference) {
  return dispatch(op, x, [&](auto tag) -> py::object {
    using T = decltype(tag);
    const Planes in = planes_of<T>(op, "input", x);
    require_nonempty_planes(op, x, in);
    const PoolWindow w = check_window(op, in, kernel, stride, pad, dilation, ceil_mode, true);
    py::array_t<T> out(in.with(w.out_h, w.out_w));
    py::array_t<int64_t> indices(in.with(w.out_h, w.out_w));
    {
      py::gil_scoped_release release;
      const auto kernel_fn = reference ? max_pool2d_forward_reference<T> : max_pool2d_forward<T>;
      kernel_fn(static_cast<const T*>(x.data()), out.mutable_data(), indices.mutable_data(), w);
    }
    return py::make_tuple(out, indices);
  });
}

py::object max_pool2d_backward_entry(const char* op, const py::array& grad,
                                     const py::array& indices, Pair input_size, bool check_indices,
                                     bool reference) {
  check_input_size(op, input_size);
  return dispatch(op, grad, [&](auto tag) -> py::object {
    using T = decltype(tag);
    const Planes g = planes_of<T>(op, "grad_output", grad);
    const Planes i = planes_of<int64_t>(op, "indices", indices);
    if (i.lead != g.lead || i.h != g.h || i.w != g.w) {
      throw std::runtime_error(std::string(op) + ": grad_output (" + describe(grad) +
                               ") and indices (" + describe(indices) +
                               ") must have the same shape");
    }
    py::array_t<T> grad_input(g.with(input_size[0], input_size[1]));
    bool valid = false;
    {
      py::gil_scoped_release release;
      const auto kernel_fn = reference ? max_pool_backward_reference<T> : max_pool_backward<T>;
      valid =
          kernel_fn(static_cast<const T*>(grad.data()), static_cast<const int64_t*>(indices.data()),
                    grad_input.mutable_data(), g.count, input_size[0] * input_size[1], g.h * g.w);
    }
    if (!valid && check_indices) {
      throw std::runtime_error(std::string(op) + ": indices must lie in [0, " +
                               std::to_string(input_size[0] * input_size[1]) +
                               ") for input planes of size " + pair_string(input_size));
    }
    return std::move(grad_input);
  });
}

py::object avg_pool2d_entry(const char* op, const py::array& x, Pair kernel, Pair stride, Pair pad,
                            bool ceil_mode, bool count_include_pad, py::handle divisor_override,
                            bool reference) {
  return dispatch(op, x, [&](auto tag) -> py::object {
    using T = decltype(tag);
    const Planes in = planes_of<T>(op, "input", x);
    require_nonempty_planes(op, x, in);
    const PoolWindow w = check_window(op, in, kernel, stride, pad, {1, 1}, ceil_mode, false);
    AvgDivisor divisor = avg_divisor(divisor_override);
    divisor.count_include_pad = count_include_pad;
    py::array_t<T> out(in.with(w.out_h, w.out_w));
    {
      py::gil_scoped_release release;
      const auto kernel_fn = reference ? avg_pool2d_forward_reference<T> : avg_pool2d_forward<T>;
      kernel_fn(static_cast<const T*>(x.data()), out.mutable_data(), w, divisor);
    }
    return std::move(out);
  });
}

py::object avg_pool2d_backward_entry(const char* op, const py::array& grad, Pair input_size,
                                     Pair kernel, Pair stride, Pair pad, bool ceil_mode,
                                     bool count_include_pad, py::handle divisor_override,
                                     bool reference) {
  check_input_size(op, input_size);
  return dispatch(op, grad, [&](auto tag) -> py::object {
    using T = decltype(tag);
    const Planes g = planes_of<T>(op, "grad_output", grad);
    const Planes in = planes_from_size(g, input_size);
    const PoolWindow w = check_window(op, in, kernel, stride, pad, {1, 1}, ceil_mode, false);
    check_output_planes(op, "grad_output", grad, g, in, w);
    AvgDivisor divisor = avg_divisor(divisor_override);
    divisor.count_include_pad = count_include_pad;
    py::array_t<T> grad_input(in.with(in.h, in.w));
    {
      py::gil_scoped_release release;
      const auto kernel_fn = reference ? avg_pool2d_backward_reference<T> : avg_pool2d_backward<T>;
      kernel_fn(static_cast<const T*>(grad.data()), grad_input.mutable_data(), w, divisor);
    }
    return std::move(grad_input);
  });
}

PoolWindow adaptive_window(const char* op, const Planes& in, Pair output_size) {
  if (output_size[0] < 0 || output_size[1] < 0 || output_size[0] >= kMaxParameter ||
      output_size[1] >= kMaxParameter) {
    throw std::runtime_error(std::string(op) + ": output_size must be non-negative, got " +
                             pair_string(output_size));
  }
  return {in.count, in.h, in.w, output_size[0], output_size[1], 1, 1, 1, 1, 0, 0, 1, 1};
}

py::object adaptive_pool2d_entry(const char* op, const py::array& x, Pair output_size, bool is_max,
                                 bool reference) {
  return dispatch(op, x, [&](auto tag) -> py::object {
    using T = decltype(tag);
    const Planes in = planes_of<T>(op, "input", x);
    require_nonempty_planes(op, x, in);
    const PoolWindow w = adaptive_window(op, in, output_size);
    py::array_t<T> out(in.with(w.out_h, w.out_w));
    const T* input = static_cast<const T*>(x.data());
    if (!is_max) {
      py::gil_scoped_release release;
      const auto kernel_fn =
          reference ? adaptive_avg_pool2d_forward_reference<T> : adaptive_avg_pool2d_forward<T>;
      kernel_fn(input, out.mutable_data(), w);
      return std::move(out);
    }
    py::array_t<int64_t> indices(in.with(w.out_h, w.out_w));
    {
      py::gil_scoped_release release;
      const auto kernel_fn =
          reference ? adaptive_max_pool2d_forward_reference<T> : adaptive_max_pool2d_forward<T>;
      kernel_fn(input, out.mutable_data(), indices.mutable_data(), w);
    }
    return py::make_tuple(out, indices);
  });
}

py::object adaptive_avg_pool2d_backward_entry(const char* op, const py::array& grad,
                                              Pair input_size, bool reference) {
  check_input_size(op, input_size);
  return dispatch(op, grad, [&](auto tag) -> py::object {
    using T = decltype(tag);
    const Planes g = planes_of<T>(op, "grad_output", grad);
    const Planes in = planes_from_size(g, input_size);
    const PoolWindow w = adaptive_window(op, in, {g.h, g.w});
    py::array_t<T> grad_input(in.with(in.h, in.w));
    {
      py::gil_scoped_release release;
      const auto kernel_fn =
          reference ? adaptive_avg_pool2d_backward_reference<T> : adaptive_avg_pool2d_backward<T>;
      kernel_fn(static_cast<const T*>(grad.data()), grad_input.mutable_data(), w);
    }
    return std::move(grad_input);
  });
}

}  // namespace

void register_pool(py::module_& m) {
  m.def("pool_output_size", &pool_output_size, py::arg("size"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"),
        "The output length of a pooling window sweep along one axis, by PyTorch's rule.");

  // Each function is registered twice: as itself (fast kernel) and with _reference appended
  // (the plain kernel, for tests), the name doubling as the op in error messages.
  for (const bool reference : {false, true}) {
    const char* max = reference ? "max_pool2d_reference" : "max_pool2d";
    m.def(
        max,
        [max, reference](const py::array& x, Pair k, Pair s, Pair p, Pair d, bool c) {
          return max_pool2d_entry(max, x, k, s, p, d, c, reference);
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
        py::arg("dilation"), py::arg("ceil_mode"),
        reference ? "max_pool2d by the plain reference kernel."
                  : R"doc(Max pooling of the (H, W) planes of a C-contiguous (..., H, W) array.

Returns:
    (output, indices): (..., out_h, out_w) maxima and their int64 positions ih * W + iw.

Raises:
    RuntimeError: bad window parameters or too small an input (PyTorch's messages).
    TypeError / ValueError: a dtype other than float32/float64, a bad layout, or fewer than
        3 dimensions.
)doc");
    const char* max_back = reference ? "max_pool2d_backward_reference" : "max_pool2d_backward";
    m.def(
        max_back,
        [max_back, reference](const py::array& g, const py::array& i, Pair size, bool check) {
          return max_pool2d_backward_entry(max_back, g, i, size, check, reference);
        },
        py::arg("grad_output"), py::arg("indices"), py::arg("input_size"),
        py::arg("check_indices") = true,
        reference ? "max_pool2d_backward by the plain reference kernel."
                  : "The gradient of max pooling (fixed or adaptive): grad_output scattered "
                    "(summed) to `indices` in zero planes of input_size (H, W). An index outside "
                    "the plane raises RuntimeError, or with check_indices=False is skipped: "
                    "max_pool2d gives one (as PyTorch does) to a dilated window that holds only "
                    "padding, whose output is -inf and has no input to send a gradient to.");
    const char* avg = reference ? "avg_pool2d_reference" : "avg_pool2d";
    m.def(
        avg,
        [avg, reference](const py::array& x, Pair k, Pair s, Pair p, bool c, bool include,
                         py::handle divisor) {
          return avg_pool2d_entry(avg, x, k, s, p, c, include, divisor, reference);
        },
        py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
        py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override"),
        reference ? "avg_pool2d by the plain reference kernel."
                  : "Average pooling of the (H, W) planes of a (..., H, W) array; the divisor "
                    "is divisor_override if not None, else the window size counted with "
                    "padding (count_include_pad) or without.");
    const char* avg_back = reference ? "avg_pool2d_backward_reference" : "avg_pool2d_backward";
    m.def(
        avg_back,
        [avg_back, reference](const py::array& g, Pair size, Pair k, Pair s, Pair p, bool c,
                              bool include, py::handle divisor) {
          return avg_pool2d_backward_entry(avg_back, g, size, k, s, p, c, include, divisor,
                                           reference);
        },
        py::arg("grad_output"), py::arg("input_size"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"),
        py::arg("divisor_override"),
        reference ? "avg_pool2d_backward by the plain reference kernel."
                  : "The gradient (adjoint) of avg_pool2d for inputs of input_size (H, W).");
    const char* adaptive_avg = reference ? "adaptive_avg_pool2d_reference" : "adaptive_avg_pool2d";
    m.def(
        adaptive_avg,
        [adaptive_avg, reference](const py::array& x, Pair size) {
          return adaptive_pool2d_entry(adaptive_avg, x, size, false, reference);
        },
        py::arg("input"), py::arg("output_size"),
        reference ? "adaptive_avg_pool2d by the plain reference kernel."
                  : "Adaptive average pooling of (..., H, W) to (..., out_h, out_w).");
    const char* adaptive_back =
        reference ? "adaptive_avg_pool2d_backward_reference" : "adaptive_avg_pool2d_backward";
    m.def(
        adaptive_back,
        [adaptive_back, reference](const py::array& g, Pair size) {
          return adaptive_avg_pool2d_backward_entry(adaptive_back, g, size, reference);
        },
        py::arg("grad_output"), py::arg("input_size"),
        reference ? "adaptive_avg_pool2d_backward by the plain reference kernel."
                  : "The gradient (adjoint) of adaptive_avg_pool2d for inputs of input_size.");
    const char* adaptive_max = reference ? "adaptive_max_pool2d_reference" : "adaptive_max_pool2d";
    m.def(
        adaptive_max,
        [adaptive_max, reference](const py::array& x, Pair size) {
          return adaptive_pool2d_entry(adaptive_max, x, size, true, reference);
        },
        py::arg("input"), py::arg("output_size"),
        reference ? "adaptive_max_pool2d by the plain reference kernel."
                  : "Adaptive max pooling with indices (ih * W + iw); its gradient is "
                    "max_pool2d_backward.");
  }
}

}  // namespace pybigml::bindings
