// Python entry points of the pool kernels (being written).
#include <pybind11/pybind11.h>

namespace pybigml::bindings {

void register_pool(pybind11::module_& /*m*/) {}

}  // namespace pybigml::bindings
