#include "arrays.h"

#include <algorithm>
#include <cstdint>

namespace pybigml::bindings {
namespace {

// [begin, end) of the bytes an array touches; empty arrays touch none.
struct ByteSpan {
  std::uintptr_t begin;
  std::uintptr_t end;
};

ByteSpan byte_span(const py::array& x) {
  auto begin = reinterpret_cast<std::uintptr_t>(x.data());
  if (x.size() == 0) return {begin, begin};
  std::uintptr_t end = begin + static_cast<std::uintptr_t>(x.itemsize());
  for (py::ssize_t axis = 0; axis < x.ndim(); ++axis) {
    const py::ssize_t reach = x.strides(axis) * (x.shape(axis) - 1);
    if (reach < 0) {
      begin -= static_cast<std::uintptr_t>(-reach);
    } else {
      end += static_cast<std::uintptr_t>(reach);
    }
  }
  return {begin, end};
}

}  // namespace

std::string shape_string(const std::vector<py::ssize_t>& shape) {
  std::string text = "(";
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis > 0) text += ", ";
    text += std::to_string(shape[axis]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

std::string shape_string(const py::array& x) {
  return shape_string(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
}

std::string describe(const py::array& x) {
  return py::str(x.dtype()).cast<std::string>() + " array of shape " + shape_string(x);
}

py::array require_array(py::handle obj, const char* op, const char* name) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string(op) + ": expected " + name + " to be a numpy array, got " +
                         py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
  }
  return py::reinterpret_borrow<py::array>(obj);
}

std::vector<int64_t> element_strides(const py::array& x, const char* op, const char* name) {
  const py::ssize_t itemsize = x.itemsize();
  bool aligned = reinterpret_cast<std::uintptr_t>(x.data()) % itemsize == 0;
  std::vector<int64_t> strides(x.ndim());
  for (py::ssize_t axis = 0; axis < x.ndim(); ++axis) {
    aligned = aligned && x.strides(axis) % itemsize == 0;
    strides[axis] = x.strides(axis) / itemsize;
  }
  if (!aligned) {
    throw py::value_error(
        std::string(op) + ": " + name + " (" + describe(x) +
        ") is not aligned to its item size; copy it with numpy.ascontiguousarray");
  }
  return strides;
}

bool may_overlap(const py::array& x, const py::array& y) {
  const ByteSpan a = byte_span(x);
  const ByteSpan b = byte_span(y);
  return a.begin < a.end && b.begin < b.end && a.begin < b.end && b.begin < a.end;
}

}  // namespace pybigml::bindings
