// Python entry points of the GEMM kernels: _C.gemm(a, b, out=None) and _C.gemm_reference(a, b).
//
// Accepted: two float32 or two float64 arrays, both 2-D (M, K) @ (K, N) or both 3-D
// (B, M, K) @ (B, K, N). Each matrix (last two axes) must be row-contiguous or
// column-contiguous (a transposed view) with a leading dimension; the batch axis may have any
// stride, 0 included (one matrix broadcast over the batch). Transposed views are passed to the
// kernel as flags, never copied. The result is a new C-contiguous array, or `out`.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "arrays.h"
#include "pybigml/gemm.h"

namespace pybigml::bindings {
namespace {

// The sizes of one product: batch of (m, k) @ (k, n).
struct GemmShape {
  int64_t batch;
  int64_t m;
  int64_t n;
  int64_t k;
  std::vector<py::ssize_t> out_shape;
};

GemmShape check_shapes(const char* op, const py::array& a, const py::array& b) {
  const bool batched = a.ndim() == 3;
  if (a.ndim() != b.ndim() || (a.ndim() != 2 && a.ndim() != 3)) {
    throw py::value_error(std::string(op) + ": expected two 2-D or two 3-D arrays, got shapes " +
                          shape_string(a) + " and " + shape_string(b));
  }
  const py::ssize_t k = a.shape(a.ndim() - 1);
  const py::ssize_t b_rows = b.shape(b.ndim() - 2);
  if (k != b_rows) {
    throw std::runtime_error(std::string(op) + ": shapes " + shape_string(a) + " and " +
                             shape_string(b) + " cannot be multiplied (" + std::to_string(k) +
                             " != " + std::to_string(b_rows) + ")");
  }
  if (batched && a.shape(0) != b.shape(0)) {
    throw std::runtime_error(std::string(op) + ": batch sizes differ in shapes " + shape_string(a) +
                             " and " + shape_string(b) + " (" + std::to_string(a.shape(0)) +
                             " != " + std::to_string(b.shape(0)) + ")");
  }
  GemmShape shape{batched ? a.shape(0) : 1, a.shape(a.ndim() - 2), b.shape(b.ndim() - 1), k, {}};
  if (batched) shape.out_shape.push_back(shape.batch);
  shape.out_shape.push_back(shape.m);
  shape.out_shape.push_back(shape.n);
  return shape;
}

// The matrices of `x` (its last two axes) as the kernel reads them. A matrix is usable when it
// is row-contiguous (unit step along a row, rows at least a row apart) or column-contiguous
// (the transposed case). An axis of length 1 puts no constraint on its stride, and an empty
// array is never read, so any layout will do.
template <typename T>
InputMatrices<T> input_matrices(const char* op, const char* name, const py::array& x) {
  const std::vector<int64_t> strides = element_strides(x, op, name);
  const py::ssize_t axes = x.ndim();
  const int64_t rows = x.shape(axes - 2);
  const int64_t cols = x.shape(axes - 1);
  const int64_t row_stride = strides[axes - 2];
  const int64_t col_stride = strides[axes - 1];
  const int64_t batch_stride = axes == 3 && x.shape(0) > 1 ? strides[0] : 0;
  const T* data = static_cast<const T*>(x.data());

  if (x.size() == 0) return {data, 1, 0, false};
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols)) {
    return {data, rows == 1 ? cols : row_stride, batch_stride, false};
  }
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows)) {
    return {data, cols == 1 ? rows : col_stride, batch_stride, true};
  }
  std::string element_strides_text = "(";
  for (py::ssize_t axis = 0; axis < axes; ++axis) {
    element_strides_text += (axis > 0 ? ", " : "") + std::to_string(strides[axis]);
  }
  element_strides_text += ")";
  throw py::value_error(std::string(op) + ": " + name + " (" + describe(x) +
                        ") has element strides " + element_strides_text +
                        "; each matrix must be row- or column-contiguous with a leading "
                        "dimension (copy it with numpy.ascontiguousarray)");
}

// `out` checked against the expected result, or a new C-contiguous result array if None.
template <typename T>
py::array_t<T> output_array(const char* op, py::handle out, const GemmShape& shape,
                            const py::array& a, const py::array& b) {
  if (out.is_none()) return py::array_t<T>(shape.out_shape);
  const py::array result = require_array(out, op, "out");
  const auto expected = [&] {
    return std::string(op) + ": out: expected a writeable C-contiguous " +
           py::str(py::dtype::of<T>()).cast<std::string>() + " array of shape " +
           shape_string(shape.out_shape) + ", got " + describe(result);
  };
  if (!py::array_t<T>::check_(result)) throw py::type_error(expected());
  const bool shape_matches =
      result.ndim() == static_cast<py::ssize_t>(shape.out_shape.size()) &&
      std::equal(shape.out_shape.begin(), shape.out_shape.end(), result.shape());
  const bool c_contiguous = (result.flags() & py::array::c_style) != 0;
  if (!shape_matches || !c_contiguous || !result.writeable()) throw py::value_error(expected());
  element_strides(result, op, "out");
  if (may_overlap(result, a) || may_overlap(result, b)) {
    throw py::value_error(std::string(op) +
                          ": out shares memory with an input; pass a separate array");
  }
  return py::reinterpret_borrow<py::array_t<T>>(result);
}

template <typename T>
py::array multiply(const char* op, const py::array& a, const py::array& b, py::handle out,
                   bool reference) {
  const GemmShape shape = check_shapes(op, a, b);
  const InputMatrices<T> a_matrices = input_matrices<T>(op, "a", a);
  const InputMatrices<T> b_matrices = input_matrices<T>(op, "b", b);
  py::array_t<T> result = output_array<T>(op, out, shape, a, b);
  const OutputMatrices<T> c_matrices{result.mutable_data(), shape.n, shape.m * shape.n};
  {
    py::gil_scoped_release release;
    const auto kernel = reference ? gemm_reference<T> : gemm<T>;
    kernel(shape.batch, shape.m, shape.n, shape.k, a_matrices, b_matrices, c_matrices);
  }
  return std::move(result);
}

py::array dispatch(const char* op, py::handle a_obj, py::handle b_obj, py::handle out,
                   bool reference) {
  const py::array a = require_array(a_obj, op, "a");
  const py::array b = require_array(b_obj, op, "b");
  if (py::array_t<float>::check_(a) && py::array_t<float>::check_(b)) {
    return multiply<float>(op, a, b, out, reference);
  }
  if (py::array_t<double>::check_(a) && py::array_t<double>::check_(b)) {
    return multiply<double>(op, a, b, out, reference);
  }
  throw py::type_error(std::string(op) +
                       ": expected two float32 or two float64 arrays (one dtype), got " +
                       describe(a) + " and " + describe(b));
}

}  // namespace

void register_gemm(py::module_& m) {
  m.def(
      "gemm",
      [](py::handle a, py::handle b, py::handle out) { return dispatch("gemm", a, b, out, false); },
      py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
      R"doc(Matrix product a @ b of two float32 or two float64 arrays by the fast kernel.

Args:
    a: (M, K) or (B, M, K) array. Each matrix row- or column-contiguous (transposed views are
        read in place); the batch axis may have any stride, 0 for a broadcast matrix.
    b: (K, N) or (B, K, N) array, same dtype and ndim as a, same layout rules.
    out: optional writeable C-contiguous array of the result's shape and dtype, sharing no
        memory with a or b.

Returns:
    The (M, N) or (B, M, N) C-contiguous product (`out` itself if given).

Raises:
    TypeError: an argument is not a numpy array, or the dtypes are not one of float32/float64.
    RuntimeError: the inner or batch sizes disagree.
    ValueError: wrong ndim, unusable strides, or a bad `out`.
)doc");
  m.def(
      "gemm_reference",
      [](py::handle a, py::handle b) { return dispatch("gemm_reference", a, b, py::none(), true); },
      py::arg("a"), py::arg("b"),
      "Same as gemm(a, b) computed by the plain triple loop on one thread: the reference for "
      "tests.");
}

}  // namespace pybigml::bindings
