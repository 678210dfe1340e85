// Python entry points of the attention kernels (being written).
#include <pybind11/pybind11.h>

namespace pybigml::bindings {

void register_attention(pybind11::module_& /*m*/) {}

}  // namespace pybigml::bindings
