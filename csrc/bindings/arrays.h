// Checks shared by the bindings: every array that reaches a kernel passes through these, and
// every failure becomes a Python exception that names the op, the argument and its shape.
#pragma once

#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pybigml::bindings {

namespace py = pybind11;

// "(2, 3, 4)": a shape written as Python writes a tuple.
std::string shape_string(const std::vector<py::ssize_t>& shape);
std::string shape_string(const py::array& x);

// "float32 array of shape (2, 3)": dtype and shape, for error messages.
std::string describe(const py::array& x);

// `obj` as a numpy array; TypeError "<op>: expected <name> to be a numpy array, got <type>".
py::array require_array(py::handle obj, const char* op, const char* name);

// The strides of `x` counted in elements. ValueError if its data is not aligned to the item
// size or a stride is not a whole number of items (views made with numpy's stride tricks),
// since kernels index typed pointers.
std::vector<int64_t> element_strides(const py::array& x, const char* op, const char* name);

// True when the bytes spanned by x and y intersect (a conservative test of shared memory).
bool may_overlap(const py::array& x, const py::array& y);

}  // namespace pybigml::bindings
