// Fused optimizer steps: one pass over a parameter, its gradient and its state buffers.
//
// The arithmetic follows torch.optim's single-tensor path operation by operation (the same
// products and sums, rounded in the parameter's type), so a step agrees with PyTorch's to a
// few ulps. Callers guarantee: every pointer addresses n valid elements, and no two arrays
// overlap.
#pragma once

#include <cstdint>

namespace pybigml {

// Adam / AdamW on n elements. `max_exp_avg_sq` is null unless amsgrad. `step` is the step
// count after this update (>= 1).
template <typename T>
struct AdamArgs {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay, maximize;
  double step;
};

template <typename T>
void adam_step(int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
               const AdamArgs<T>& args);

// SGD with momentum/dampening/nesterov/weight decay on n elements. `momentum_buffer` is null
// when momentum is 0; `first_step` says the buffer is uninitialised (it is set to the
// gradient, as PyTorch does on the first step).
template <typename T>
struct SgdArgs {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first_step;
};

template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* momentum_buffer, const SgdArgs<T>& args);

}  // namespace pybigml
