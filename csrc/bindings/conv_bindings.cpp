// Python entry points of the conv kernels (being written).
#include <pybind11/pybind11.h>

namespace pybigml::bindings {

void register_conv(pybind11::module_& /*m*/) {}

}  // namespace pybigml::bindings
