// Fused optimizer steps (see pybigml/optim.h).
//
// Bound. An optimizer step does a handful of flops per element on 3-5 arrays, so it is bound
// by memory traffic: the numpy version makes ~6 passes with temporaries (one per operation),
// this makes one, reading param, grad and the state buffers once and writing param and the
// buffers once. The loop bodies are plain scalar code written in PyTorch's order of
// operations; with -O3 and AVX2 the compiler vectorises them 8 (float) or 4 (double) wide.
// Threads split the elements statically; below kMinPerThread elements per thread one thread
// runs alone.
#include "pybigml/optim.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "pybigml/threads.h"

namespace pybigml {
namespace {

constexpr int64_t kMinPerThread = 1 << 15;

// Calls body(begin, end) over [0, n) split across the kernel threads.
template <typename Body>
void parallel_chunks(int64_t n, const Body& body) {
  const int threads = static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), n / kMinPerThread)));
  if (threads == 1) {
    body(0, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num();
    const int64_t chunk = (n + threads - 1) / threads;
    const int64_t begin = std::min(n, t * chunk);
    body(begin, std::min(n, begin + chunk));
  }
}

}  // namespace

template <typename T>
void adam_step(int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
               const AdamArgs<T>& a) {
  const T one_minus_beta1 = static_cast<T>(1.0 - a.beta1);
  const T beta2 = static_cast<T>(a.beta2);
  const T one_minus_beta2 = static_cast<T>(1.0 - a.beta2);
  const T eps = static_cast<T>(a.eps);
  const T wd = static_cast<T>(a.weight_decay);
  const T decay = static_cast<T>(1.0 - a.lr * a.weight_decay);
  // The bias corrections in double, as PyTorch computes them in Python.
  const T step_size = static_cast<T>(a.lr / (1.0 - std::pow(a.beta1, a.step)));
  const T correction2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(a.beta2, a.step)));
  const bool l2 = a.weight_decay != 0.0 && !a.decoupled_weight_decay;
  const bool decoupled = a.weight_decay != 0.0 && a.decoupled_weight_decay;
  const T sign = a.maximize ? T(-1) : T(1);
  parallel_chunks(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T g = sign * grad[i];
      T p = param[i];
      if (decoupled) p *= decay;
      if (l2) g = g + wd * p;
      const T m = exp_avg[i] + one_minus_beta1 * (g - exp_avg[i]);  // lerp(m, g, 1 - beta1)
      T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (g * g);
      exp_avg[i] = m;
      exp_avg_sq[i] = v;
      if (max_exp_avg_sq != nullptr) {
        v = std::max(max_exp_avg_sq[i], v);
        max_exp_avg_sq[i] = v;
      }
      const T denom = std::sqrt(v) / correction2_sqrt + eps;
      param[i] = p - step_size * (m / denom);
    }
  });
}

template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* buf, const SgdArgs<T>& a) {
  const T lr = static_cast<T>(a.lr);
  const T wd = static_cast<T>(a.weight_decay);
  const T momentum = static_cast<T>(a.momentum);
  const T one_minus_dampening = static_cast<T>(1.0 - a.dampening);
  const T sign = a.maximize ? T(-1) : T(1);
  parallel_chunks(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T d = sign * grad[i];
      if (a.weight_decay != 0.0) d = d + wd * param[i];
      if (buf != nullptr) {
        const T b = a.first_step ? d : buf[i] * momentum + one_minus_dampening * d;
        buf[i] = b;
        d = a.nesterov ? d + momentum * b : b;
      }
      param[i] = param[i] - lr * d;
    }
  });
}

template void adam_step<float>(int64_t, float*, const float*, float*, float*, float*,
                               const AdamArgs<float>&);
template void adam_step<double>(int64_t, double*, const double*, double*, double*, double*,
                                const AdamArgs<double>&);
template void sgd_step<float>(int64_t, float*, const float*, float*, const SgdArgs<float>&);
template void sgd_step<double>(int64_t, double*, const double*, double*, const SgdArgs<double>&);

}  // namespace pybigml
