// Pooling on the CPU: max, average and adaptive pooling over planes of 2-D images.
//
// Every kernel sees C-contiguous planes: `planes` images of (in_h, in_w) values stored one after
// another (N * C planes of an NCHW tensor; a 1-D signal is a plane of height 1), and writes
// `planes` C-contiguous output planes. Indices are int64 positions inside an input plane
// (ih * in_w + iw), as PyTorch returns them. Callers (the bindings) guarantee that every size is
// positive where a kernel divides by it, that the output sizes agree with the window geometry,
// and that outputs overlap no input.
#pragma once

#include <cstdint>

namespace pybigml {

// The sizes of a pooling sweep: output (oh, ow) reduces the window of input rows
// oh * stride_h - pad_h + kh * dilation_h for kh in [0, kernel_h), and likewise for columns;
// window positions outside the input are padding. out_h and out_w follow PyTorch's rule
// (pool_output_size in the bindings).
struct PoolWindow {
  int64_t planes;
  int64_t in_h, in_w;
  int64_t out_h, out_w;
  int64_t kernel_h, kernel_w;
  int64_t stride_h, stride_w;
  int64_t pad_h, pad_w;
  int64_t dilation_h, dilation_w;
};

// What divides an average window's sum: its positions inside the input, all its positions up
// to the padded border (count_include_pad), or a fixed divisor_override when that is nonzero.
struct AvgDivisor {
  bool count_include_pad;
  int64_t divisor_override;
};

// Max over each window, and the index of the element it came from. Ties go to the first
// element in row-major order, and a NaN wins over any number (the last NaN of the window),
// as in PyTorch.
template <typename T>
void max_pool2d_forward(const T* input, T* output, int64_t* indices, const PoolWindow& w);
template <typename T>
void max_pool2d_forward_reference(const T* input, T* output, int64_t* indices, const PoolWindow& w);

// grad_input (planes of in_size values, overwritten) = zeros, then += grad_output[o] at
// indices[o] for every output o of each plane (out_size values). Returns false, after skipping
// them, if some index lies outside [0, in_size): the bindings turn that into an exception.
// This scatter is the backward of max_pool2d and adaptive_max_pool2d alike.
template <typename T>
bool max_pool_backward(const T* grad_output, const int64_t* indices, T* grad_input, int64_t planes,
                       int64_t in_size, int64_t out_size);
template <typename T>
bool max_pool_backward_reference(const T* grad_output, const int64_t* indices, T* grad_input,
                                 int64_t planes, int64_t in_size, int64_t out_size);

// Average over each window (dilation must be 1), divided as `divisor` says.
template <typename T>
void avg_pool2d_forward(const T* input, T* output, const PoolWindow& w, AvgDivisor divisor);
template <typename T>
void avg_pool2d_forward_reference(const T* input, T* output, const PoolWindow& w,
                                  AvgDivisor divisor);

// The adjoint of avg_pool2d_forward: grad_input (overwritten) receives grad_output[o] / divisor
// on every input position of window o.
template <typename T>
void avg_pool2d_backward(const T* grad_output, T* grad_input, const PoolWindow& w,
                         AvgDivisor divisor);
template <typename T>
void avg_pool2d_backward_reference(const T* grad_output, T* grad_input, const PoolWindow& w,
                                   AvgDivisor divisor);

// Adaptive pooling: output (oh, ow) covers input rows [floor(oh * in_h / out_h),
// ceil((oh + 1) * in_h / out_h)) and the columns found the same way. Only planes, in_h, in_w,
// out_h and out_w of the PoolWindow are read.
template <typename T>
void adaptive_avg_pool2d_forward(const T* input, T* output, const PoolWindow& w);
template <typename T>
void adaptive_avg_pool2d_forward_reference(const T* input, T* output, const PoolWindow& w);
template <typename T>
void adaptive_avg_pool2d_backward(const T* grad_output, T* grad_input, const PoolWindow& w);
template <typename T>
void adaptive_avg_pool2d_backward_reference(const T* grad_output, T* grad_input,
                                            const PoolWindow& w);

// Adaptive max with indices, with max_pool2d_forward's rule for ties and NaN.
template <typename T>
void adaptive_max_pool2d_forward(const T* input, T* output, int64_t* indices, const PoolWindow& w);
template <typename T>
void adaptive_max_pool2d_forward_reference(const T* input, T* output, int64_t* indices,
                                           const PoolWindow& w);

}  // namespace pybigml
