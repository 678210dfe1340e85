// Python entry points of the fused optimizer steps: _C.adam_step and _C.sgd_step.
//
// Every array is float32 or float64 (all of one dtype), C-contiguous, of the parameter's
// shape; the ones written (param and state buffers) must be writeable and no two may share
// memory. Anything else raises before the kernel runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "arrays.h"
#include "pybigml/optim.h"

namespace pybigml::bindings {
namespace {

struct Checked {
  std::vector<py::array> arrays;  // param first; None entries dropped
  bool is_double;
};

// Validates `named` (name, object; None allowed where optional) against the first entry.
Checked check_arrays(const char* op, const std::vector<std::pair<const char*, py::object>>& named,
                     const std::vector<bool>& written) {
  Checked out{{}, false};
  py::array first;
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& [name, obj] = named[i];
    if (obj.is_none()) continue;
    py::array x = require_array(obj, op, name);
    const bool f32 = py::array_t<float>::check_(x), f64 = py::array_t<double>::check_(x);
    if (!f32 && !f64) {
      throw py::type_error(std::string(op) + ": expected " + name +
                           " to be a float32 or float64 array, got " + describe(x));
    }
    if (i == 0) {
      first = x;
      out.is_double = f64;
    } else {
      if (f64 != out.is_double) {
        throw py::type_error(std::string(op) + ": expected " + name +
                             " to have the dtype of param (" + describe(first) + "), got " +
                             describe(x));
      }
      if (x.size() != first.size() || x.ndim() != first.ndim() ||
          !std::equal(x.shape(), x.shape() + x.ndim(), first.shape())) {
        throw std::runtime_error(std::string(op) + ": expected " + name +
                                 " of the shape of param " + shape_string(first) + ", got " +
                                 describe(x));
      }
    }
    if ((x.flags() & py::array::c_style) == 0) {
      throw py::value_error(std::string(op) + ": " + name + " (" + describe(x) +
                            ") must be C-contiguous");
    }
    if (written[i] && !x.writeable()) {
      throw py::value_error(std::string(op) + ": " + name + " (" + describe(x) + ") is read-only");
    }
    element_strides(x, op, name);
    for (const py::array& other : out.arrays) {
      if (x.size() > 0 && may_overlap(x, other)) {
        throw py::value_error(std::string(op) + ": " + name +
                              " shares memory with another argument");
      }
    }
    out.arrays.push_back(x);
  }
  return out;
}

template <typename T>
T* data_of(const py::object& obj) {
  if (obj.is_none()) return nullptr;
  return static_cast<T*>(py::array(obj).mutable_data());
}

template <typename T>
void run_adam(const py::object& param, const py::object& grad, const py::object& m,
              const py::object& v, const py::object& vmax, const AdamArgs<T>& args) {
  T* p = data_of<T>(param);
  const T* g = data_of<T>(grad);
  T* m_ = data_of<T>(m);
  T* v_ = data_of<T>(v);
  T* vmax_ = data_of<T>(vmax);
  const int64_t n = py::array(param).size();
  py::gil_scoped_release release;
  adam_step<T>(n, p, g, m_, v_, vmax_, args);
}

void adam(const py::object& param, const py::object& grad, const py::object& exp_avg,
          const py::object& exp_avg_sq, const py::object& max_exp_avg_sq, double lr, double beta1,
          double beta2, double eps, double weight_decay, bool decoupled_weight_decay, bool maximize,
          double step) {
  const char* op = "adam_step";
  if (step < 1) throw py::value_error("adam_step: step must be >= 1");
  const Checked c = check_arrays(op,
                                 {{"param", param},
                                  {"grad", grad},
                                  {"exp_avg", exp_avg},
                                  {"exp_avg_sq", exp_avg_sq},
                                  {"max_exp_avg_sq", max_exp_avg_sq}},
                                 {true, false, true, true, true});
  if (exp_avg.is_none() || exp_avg_sq.is_none()) {
    throw py::type_error("adam_step: exp_avg and exp_avg_sq are required");
  }
  if (c.is_double) {
    run_adam<double>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq,
                     {lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize, step});
  } else {
    run_adam<float>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq,
                    {lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize, step});
  }
}

template <typename T>
void run_sgd(const py::object& param, const py::object& grad, const py::object& buf,
             const SgdArgs<T>& args) {
  T* p = data_of<T>(param);
  const T* g = data_of<T>(grad);
  T* b = data_of<T>(buf);
  const int64_t n = py::array(param).size();
  py::gil_scoped_release release;
  sgd_step<T>(n, p, g, b, args);
}

void sgd(const py::object& param, const py::object& grad, const py::object& momentum_buffer,
         double lr, double momentum, double dampening, double weight_decay, bool nesterov,
         bool maximize, bool first_step) {
  const Checked c = check_arrays(
      "sgd_step", {{"param", param}, {"grad", grad}, {"momentum_buffer", momentum_buffer}},
      {true, false, true});
  if (momentum != 0.0 && momentum_buffer.is_none()) {
    throw py::type_error("sgd_step: momentum != 0 needs a momentum_buffer");
  }
  if (c.is_double) {
    run_sgd<double>(param, grad, momentum_buffer,
                    {lr, momentum, dampening, weight_decay, nesterov, maximize, first_step});
  } else {
    run_sgd<float>(param, grad, momentum_buffer,
                   {lr, momentum, dampening, weight_decay, nesterov, maximize, first_step});
  }
}

}  // namespace

void register_optim(py::module_& m) {
  m.def("adam_step", &adam, py::arg("param"), py::arg("grad"), py::arg("exp_avg"),
        py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"), py::arg("lr"), py::arg("beta1"),
        py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("decoupled_weight_decay"), py::arg("maximize"), py::arg("step"),
        "One Adam/AdamW update of param and its state, in place (torch.optim's arithmetic).");
  m.def("sgd_step", &sgd, py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"),
        py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"),
        py::arg("nesterov"), py::arg("maximize"), py::arg("first_step"),
        "One SGD update of param (and its momentum buffer), in place.");
}

}  // namespace pybigml::bindings
