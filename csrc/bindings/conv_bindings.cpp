// Python entry points of the convolution kernels:
//   _C.conv2d_forward(input, weight, bias, stride, padding, dilation, groups)
//   _C.conv2d_grad_input(grad_output, weight, bias, input_size, stride, padding, dilation, groups)
//   _C.conv2d_grad_weight(input, grad_output, kernel_size, stride, padding, dilation, groups)
// and the same three with a _reference suffix (the direct-loop kernels, for tests).
//
// Accepted: C-contiguous float32 or float64 arrays of one dtype, 4-D (batch, channels, height,
// width); weight (out_channels, in_channels / groups, kernel_h, kernel_w); bias None or
// (channels,). stride, padding and dilation are (height, width) pairs (padding is symmetric).
// Every size is checked against the others before the GIL is released and a kernel runs; the
// result is a new C-contiguous array.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "arrays.h"
#include "pybigml/conv.h"

namespace pybigml::bindings {
namespace {

using Pair = std::array<int64_t, 2>;

std::string pair_string(const Pair& p) {
  return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")";
}

// The hyper-parameters shared by the three kernels, checked.
struct ConvParams {
  Pair stride;
  Pair padding;
  Pair dilation;
  int64_t groups;
};

ConvParams check_params(const char* op, const Pair& stride, const Pair& padding,
                        const Pair& dilation, int64_t groups) {
  for (int axis = 0; axis < 2; ++axis) {
    if (stride[axis] < 1 || dilation[axis] < 1 || padding[axis] < 0) {
      throw py::value_error(std::string(op) + ": expected stride >= 1, dilation >= 1 and " +
                            "padding >= 0, got stride " + pair_string(stride) + ", padding " +
                            pair_string(padding) + ", dilation " + pair_string(dilation));
    }
  }
  if (groups < 1) {
    throw py::value_error(std::string(op) + ": expected groups >= 1, got " +
                          std::to_string(groups));
  }
  return {stride, padding, dilation, groups};
}

// The output length of one axis: (in + 2 pad - dilation (kernel - 1) - 1) / stride + 1, or a
// negative number when the dilated kernel does not fit in the padded input.
int64_t output_length(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? -1 : span / stride + 1;
}

// A 4-D C-contiguous array of dtype T, or a Python exception naming op and argument.
template <typename T>
py::array_t<T> checked_array(const char* op, const char* name, const py::array& x) {
  if (!py::array_t<T>::check_(x)) {
    throw py::type_error(std::string(op) + ": expected " + name + " of dtype " +
                         py::str(py::dtype::of<T>()).cast<std::string>() + ", got " + describe(x));
  }
  if (x.ndim() != 4) {
    throw py::value_error(std::string(op) + ": expected " + name +
                          " to be 4-D (batch, channels, height, width), got " + describe(x));
  }
  if ((x.flags() & py::array::c_style) == 0) {
    throw py::value_error(std::string(op) + ": " + name + " (" + describe(x) +
                          ") must be C-contiguous (copy it with numpy.ascontiguousarray)");
  }
  element_strides(x, op, name);
  return py::reinterpret_borrow<py::array_t<T>>(x);
}

// bias as a pointer (null for None), checked to be a C-contiguous (channels,) array of T.
template <typename T>
const T* checked_bias(const char* op, py::handle bias_obj, int64_t channels) {
  if (bias_obj.is_none()) return nullptr;
  const py::array bias = require_array(bias_obj, op, "bias");
  if (!py::array_t<T>::check_(bias) || bias.ndim() != 1 || bias.shape(0) != channels ||
      (bias.flags() & py::array::c_style) == 0) {
    throw py::value_error(std::string(op) + ": expected bias to be None or a C-contiguous " +
                          py::str(py::dtype::of<T>()).cast<std::string>() + " array of shape (" +
                          std::to_string(channels) + ",), got " + describe(bias));
  }
  element_strides(bias, op, "bias");
  return static_cast<const T*>(bias.data());
}

// The ConvShape of a convolution of `input_shape` (N, C, H, W) by a weight of `weight_shape`
// (O, C / groups, kh, kw), checked; throws RuntimeError naming both shapes when they disagree.
ConvShape conv_shape(const char* op, const std::vector<py::ssize_t>& input_shape,
                     const std::vector<py::ssize_t>& weight_shape, const ConvParams& p) {
  const auto mismatch = [&](const std::string& what) {
    return std::runtime_error(std::string(op) + ": input of shape " + shape_string(input_shape) +
                              " and weight of shape " + shape_string(weight_shape) + " with " +
                              "stride " + pair_string(p.stride) + ", padding " +
                              pair_string(p.padding) + ", dilation " + pair_string(p.dilation) +
                              " and groups " + std::to_string(p.groups) + ": " + what);
  };
  const int64_t in_channels = input_shape[1];
  const int64_t out_channels = weight_shape[0];
  if (in_channels % p.groups != 0 || out_channels % p.groups != 0) {
    throw mismatch("channels must be divisible by groups");
  }
  if (weight_shape[1] != in_channels / p.groups) {
    throw mismatch("expected weight.shape[1] == in_channels / groups = " +
                   std::to_string(in_channels / p.groups));
  }
  if (weight_shape[2] < 1 || weight_shape[3] < 1) throw mismatch("the kernel must not be empty");
  const int64_t out_h =
      output_length(input_shape[2], weight_shape[2], p.stride[0], p.padding[0], p.dilation[0]);
  const int64_t out_w =
      output_length(input_shape[3], weight_shape[3], p.stride[1], p.padding[1], p.dilation[1]);
  if (out_h < 1 || out_w < 1) throw mismatch("the dilated kernel is larger than the padded input");
  return {input_shape[0],  p.groups,        in_channels,   input_shape[2],
          input_shape[3],  out_channels,    out_h,         out_w,
          weight_shape[2], weight_shape[3], p.stride[0],   p.stride[1],
          p.padding[0],    p.padding[1],    p.dilation[0], p.dilation[1]};
}

std::vector<py::ssize_t> shape_of(const py::array& x) {
  return std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim());
}

template <typename T>
py::array forward(const char* op, const py::array& input_obj, const py::array& weight_obj,
                  py::handle bias_obj, const ConvParams& p, bool reference) {
  const py::array_t<T> input = checked_array<T>(op, "input", input_obj);
  const py::array_t<T> weight = checked_array<T>(op, "weight", weight_obj);
  const ConvShape s = conv_shape(op, shape_of(input), shape_of(weight), p);
  const T* bias = checked_bias<T>(op, bias_obj, s.out_channels);
  py::array_t<T> output({s.batch, s.out_channels, s.out_h, s.out_w});
  {
    py::gil_scoped_release release;
    const auto kernel = reference ? conv2d_forward_reference<T> : conv2d_forward<T>;
    kernel(s, input.data(), weight.data(), bias, output.mutable_data());
  }
  return std::move(output);
}

template <typename T>
py::array grad_input(const char* op, const py::array& grad_obj, const py::array& weight_obj,
                     py::handle bias_obj, const Pair& input_size, const ConvParams& p,
                     bool reference) {
  const py::array_t<T> grad_output = checked_array<T>(op, "grad_output", grad_obj);
  const py::array_t<T> weight = checked_array<T>(op, "weight", weight_obj);
  if (input_size[0] < 1 || input_size[1] < 1) {
    throw py::value_error(std::string(op) + ": expected a positive input_size, got " +
                          pair_string(input_size));
  }
  const std::vector<py::ssize_t> input_shape{grad_output.shape(0),
                                             weight.shape(1) * static_cast<py::ssize_t>(p.groups),
                                             input_size[0], input_size[1]};
  const ConvShape s = conv_shape(op, input_shape, shape_of(weight), p);
  if (grad_output.shape(1) != s.out_channels || grad_output.shape(2) != s.out_h ||
      grad_output.shape(3) != s.out_w) {
    throw std::runtime_error(
        std::string(op) + ": grad_output of shape " + shape_string(grad_output) +
        " does not match a convolution of an input of shape " + shape_string(input_shape) +
        " by a weight of shape " + shape_string(weight) + ", whose output has shape " +
        shape_string(std::vector<py::ssize_t>{s.batch, s.out_channels, s.out_h, s.out_w}));
  }
  const T* bias = checked_bias<T>(op, bias_obj, s.in_channels);
  py::array_t<T> result(input_shape);
  {
    py::gil_scoped_release release;
    const auto kernel = reference ? conv2d_grad_input_reference<T> : conv2d_grad_input<T>;
    kernel(s, grad_output.data(), weight.data(), bias, result.mutable_data());
  }
  return std::move(result);
}

template <typename T>
py::array grad_weight(const char* op, const py::array& input_obj, const py::array& grad_obj,
                      const Pair& kernel_size, const ConvParams& p, bool reference) {
  const py::array_t<T> input = checked_array<T>(op, "input", input_obj);
  const py::array_t<T> grad_output = checked_array<T>(op, "grad_output", grad_obj);
  const std::vector<py::ssize_t> weight_shape{grad_output.shape(1),
                                              input.shape(1) / static_cast<py::ssize_t>(p.groups),
                                              kernel_size[0], kernel_size[1]};
  const ConvShape s = conv_shape(op, shape_of(input), weight_shape, p);
  if (grad_output.shape(0) != s.batch || grad_output.shape(2) != s.out_h ||
      grad_output.shape(3) != s.out_w) {
    throw std::runtime_error(
        std::string(op) + ": grad_output of shape " + shape_string(grad_output) +
        " does not match a convolution of an input of shape " + shape_string(input) +
        " by a weight of shape " + shape_string(weight_shape) + ", whose output has shape " +
        shape_string(std::vector<py::ssize_t>{s.batch, s.out_channels, s.out_h, s.out_w}));
  }
  py::array_t<T> result(weight_shape);
  {
    py::gil_scoped_release release;
    const auto kernel = reference ? conv2d_grad_weight_reference<T> : conv2d_grad_weight<T>;
    kernel(s, input.data(), grad_output.data(), result.mutable_data());
  }
  return std::move(result);
}

// Calls body.template operator()<T>() with T = float or double, the dtype of the two arrays.
template <typename Body>
py::array dispatch(const char* op, const char* first_name, const py::array& first,
                   const char* second_name, const py::array& second, Body&& body) {
  if (py::array_t<float>::check_(first) && py::array_t<float>::check_(second)) {
    return body(float{});
  }
  if (py::array_t<double>::check_(first) && py::array_t<double>::check_(second)) {
    return body(double{});
  }
  throw py::type_error(std::string(op) + ": expected " + first_name + " and " + second_name +
                       " to be float32 or float64 arrays of one dtype, got " + describe(first) +
                       " and " + describe(second));
}

void register_family(py::module_& m, bool reference) {
  const std::string suffix = reference ? "_reference" : "";
  const std::string how = reference
                              ? "Computed by direct loops over the defining sum on one thread "
                                "(the reference that tests hold the fast kernel to).\n\n"
                              : "Computed by im2col / col2im around pybigml's GEMM (or by a "
                                "direct path for at most 2 output channels per group), on "
                                "get_num_threads() threads.\n\n";
  const std::string forward_name = "conv2d_forward" + suffix;
  m.def(
      forward_name.c_str(),
      [reference, name = forward_name](py::handle input, py::handle weight, py::handle bias,
                                       Pair stride, Pair padding, Pair dilation, int64_t groups) {
        const char* op = name.c_str();
        const py::array x = require_array(input, op, "input");
        const py::array w = require_array(weight, op, "weight");
        const ConvParams p = check_params(op, stride, padding, dilation, groups);
        return dispatch(op, "input", x, "weight", w, [&](auto zero) {
          return forward<decltype(zero)>(op, x, w, bias, p, reference);
        });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
      py::arg("dilation"), py::arg("groups"),
      ("2-D convolution: output[n, o] = sum of weight[o] * the input window, plus bias[o].\n\n" +
       how +
       "Args:\n"
       "    input: (N, C, H, W) C-contiguous float32 or float64 array.\n"
       "    weight: (O, C / groups, kh, kw), same dtype, C-contiguous.\n"
       "    bias: None or (O,).\n"
       "    stride, padding, dilation: (height, width) pairs; padding is added on both sides.\n"
       "    groups: C and O are split into this many independent groups.\n\n"
       "Returns:\n"
       "    The (N, O, OH, OW) output, OH = (H + 2 pad - dilation (kh - 1) - 1) // stride + 1.\n")
          .c_str());

  const std::string grad_input_name = "conv2d_grad_input" + suffix;
  m.def(
      grad_input_name.c_str(),
      [reference, name = grad_input_name](py::handle grad_output, py::handle weight,
                                          py::handle bias, Pair input_size, Pair stride,
                                          Pair padding, Pair dilation, int64_t groups) {
        const char* op = name.c_str();
        const py::array g = require_array(grad_output, op, "grad_output");
        const py::array w = require_array(weight, op, "weight");
        const ConvParams p = check_params(op, stride, padding, dilation, groups);
        return dispatch(op, "grad_output", g, "weight", w, [&](auto zero) {
          return grad_input<decltype(zero)>(op, g, w, bias, input_size, p, reference);
        });
      },
      py::arg("grad_output"), py::arg("weight"), py::arg("bias"), py::arg("input_size"),
      py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
      ("Gradient of conv2d_forward with respect to its input (a transposed convolution).\n\n" +
       how +
       "Args:\n"
       "    grad_output: (N, O, OH, OW) array.\n"
       "    weight: (O, C / groups, kh, kw), same dtype.\n"
       "    bias: None or (C,), added to every element of channel c of the result.\n"
       "    input_size: (H, W) of the convolution's input; must give (OH, OW).\n"
       "    stride, padding, dilation, groups: as conv2d_forward.\n\n"
       "Returns:\n"
       "    The (N, C, H, W) gradient.\n")
          .c_str());

  const std::string grad_weight_name = "conv2d_grad_weight" + suffix;
  m.def(
      grad_weight_name.c_str(),
      [reference, name = grad_weight_name](py::handle input, py::handle grad_output,
                                           Pair kernel_size, Pair stride, Pair padding,
                                           Pair dilation, int64_t groups) {
        const char* op = name.c_str();
        const py::array x = require_array(input, op, "input");
        const py::array g = require_array(grad_output, op, "grad_output");
        const ConvParams p = check_params(op, stride, padding, dilation, groups);
        return dispatch(op, "input", x, "grad_output", g, [&](auto zero) {
          return grad_weight<decltype(zero)>(op, x, g, kernel_size, p, reference);
        });
      },
      py::arg("input"), py::arg("grad_output"), py::arg("kernel_size"), py::arg("stride"),
      py::arg("padding"), py::arg("dilation"), py::arg("groups"),
      ("Gradient of conv2d_forward with respect to its weight, summed over the batch.\n\n" + how +
       "Args:\n"
       "    input: (N, C, H, W) array.\n"
       "    grad_output: (N, O, OH, OW), same dtype.\n"
       "    kernel_size: (kh, kw) of the weight.\n"
       "    stride, padding, dilation, groups: as conv2d_forward.\n\n"
       "Returns:\n"
       "    The (O, C / groups, kh, kw) gradient.\n")
          .c_str());
}

}  // namespace

void register_conv(py::module_& m) {
  register_family(m, false);
  register_family(m, true);
}

}  // namespace pybigml::bindings
