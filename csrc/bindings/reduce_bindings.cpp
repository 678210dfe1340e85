// Python entry points of the reduce kernels (being written).
#include <pybind11/pybind11.h>

namespace pybigml::bindings {

void register_reduce(pybind11::module_& /*m*/) {}

}  // namespace pybigml::bindings
