// 2-D convolution on the CPU: forward, gradient with respect to the input, gradient with
// respect to the weight. A 1-D convolution is the 2-D one with a height of 1, and a transposed
// convolution's forward is the convolution's input gradient.
//
// The kernels see plain pointers and sizes, never Python objects. Every array is C-contiguous:
//   input        (batch, in_channels, in_h, in_w)
//   weight       (out_channels, in_channels / groups, kernel_h, kernel_w)
//   output       (batch, out_channels, out_h, out_w)
// Callers (the bindings) guarantee that the sizes agree (out_h and out_w follow from the input
// size, padding, dilation, kernel and stride), that every pointer addresses that much valid
// memory, and that outputs overlap no input.
#pragma once

#include <cstdint>

namespace pybigml {

// The sizes of one convolution. Output channel o of group g = o / (out_channels / groups) reads
// input channels [g * in_channels / groups, (g + 1) * in_channels / groups), and
//   output[n, o, y, x] = sum over c, i, j of weight[o, c, i, j] *
//       input[n, g * in_channels / groups + c, y * stride_h - pad_h + i * dilation_h,
//                                              x * stride_w - pad_w + j * dilation_w]
// with input positions outside the image reading as zero.
struct ConvShape {
  int64_t batch;
  int64_t groups;
  int64_t in_channels;
  int64_t in_h;
  int64_t in_w;
  int64_t out_channels;
  int64_t out_h;
  int64_t out_w;
  int64_t kernel_h;
  int64_t kernel_w;
  int64_t stride_h;
  int64_t stride_w;
  int64_t pad_h;
  int64_t pad_w;
  int64_t dilation_h;
  int64_t dilation_w;
};

// output = conv(input, weight) + bias[o] (bias may be null: no bias).
template <typename T>
void conv2d_forward(const ConvShape& shape, const T* input, const T* weight, const T* bias,
                    T* output);

// grad_input = d<grad_output, conv(input, weight)>/d input, plus bias[c] on every element of
// input channel c when bias is not null (the transposed convolution's bias).
template <typename T>
void conv2d_grad_input(const ConvShape& shape, const T* grad_output, const T* weight, const T* bias,
                       T* grad_input);

// grad_weight = d<grad_output, conv(input, weight)>/d weight.
template <typename T>
void conv2d_grad_weight(const ConvShape& shape, const T* input, const T* grad_output,
                        T* grad_weight);

// The same three contracts computed by direct loops over the sum above, on one thread: the
// references that tests hold the fast kernels to.
template <typename T>
void conv2d_forward_reference(const ConvShape& shape, const T* input, const T* weight,
                              const T* bias, T* output);
template <typename T>
void conv2d_grad_input_reference(const ConvShape& shape, const T* grad_output, const T* weight,
                                 const T* bias, T* grad_input);
template <typename T>
void conv2d_grad_weight_reference(const ConvShape& shape, const T* input, const T* grad_output,
                                  T* grad_weight);

}  // namespace pybigml
