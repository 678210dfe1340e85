// The pybigml._C extension module: thread control, build information and the kernels.
// Each kernel family registers its functions from its own *_bindings.cpp file.
#include <omp.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "pybigml/peak.h"
#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace py = pybind11;

namespace pybigml::bindings {
void register_attention(py::module_& m);
void register_conv(py::module_& m);
void register_gemm(py::module_& m);
void register_optim(py::module_& m);
void register_pool(py::module_& m);
void register_reduce(py::module_& m);
}  // namespace pybigml::bindings

namespace {

// A module built with AVX2/FMA would die with an illegal instruction on an older CPU; refuse to
// load instead, while only plain code has run.
void check_cpu_supports_build() {
#ifdef PYBIGML_HAVE_AVX2_FMA
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    throw py::import_error(
        "pybigml._C was compiled for AVX2/FMA, which this CPU lacks; reinstall pybigml from "
        "source on this machine (pip install .) to build the portable kernels");
  }
#endif
}

py::dict build_info() {
  py::dict info;
  info["avx2_fma"] = pybigml::simd::kHaveAvx2Fma;
  info["openmp"] = _OPENMP;
  info["cuda"] = false;
  info["compiler"] = std::string(__VERSION__);
  info["max_threads"] = omp_get_max_threads();
  return info;
}

double measure_fma_peak(const py::object& dtype, int repeats) {
  const py::dtype kind = py::dtype::from_args(dtype);
  const bool is_float = kind.equal(py::dtype::of<float>());
  const bool is_double = kind.equal(py::dtype::of<double>());
  if (!is_float && !is_double) {
    throw py::type_error("measure_fma_peak: expected dtype float32 or float64, got " +
                         py::str(kind).cast<std::string>());
  }
  py::gil_scoped_release release;
  return pybigml::measure_fma_peak_gflops(is_double, repeats);
}

py::dict measure_bandwidth(int64_t array_mib, int repeats) {
  if (array_mib < 1 || array_mib > 4096) {
    throw py::value_error("measure_bandwidth: array_mib must be in [1, 4096], got " +
                          std::to_string(array_mib));
  }
  const int64_t elements = array_mib * (int64_t{1} << 20) / static_cast<int64_t>(sizeof(double));
  pybigml::StreamBandwidth result{};
  {
    py::gil_scoped_release release;
    result = pybigml::measure_stream_bandwidth(elements, repeats);
  }
  py::dict gbps;
  gbps["copy"] = result.copy_gbps;
  gbps["triad"] = result.triad_gbps;
  return gbps;
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  check_cpu_supports_build();
  m.doc() = "pybigml's native CPU kernels (C++, OpenMP, AVX2/FMA where built with it).";

  m.def("set_num_threads", &pybigml::set_num_threads, py::arg("n"),
        "Sets the number of OpenMP threads that every kernel uses (n >= 1).");
  m.def("get_num_threads", &pybigml::get_num_threads,
        "The number of OpenMP threads that kernels use.");
  m.def("build_info", &build_info,
        "A dict describing the build: avx2_fma (SIMD path compiled in), openmp (version date), "
        "cuda, compiler, max_threads (OpenMP's default thread count).");
  m.def("measure_fma_peak", &measure_fma_peak, py::arg("dtype") = py::dtype::of<float>(),
        py::arg("repeats") = 5,
        R"doc(Measures the peak fused multiply-add rate of get_num_threads() threads.

Args:
    dtype: float32 or float64 (anything numpy.dtype accepts).
    repeats: runs of about 20 ms each; the best one is reported.

Returns:
    GFLOP/s, counting one FMA as 2 flops: the bound that GEMM benchmarks compare against.
)doc");

  m.def("measure_bandwidth", &measure_bandwidth, py::arg("array_mib") = 64, py::arg("repeats") = 5,
        R"doc(Measures the memory bandwidth of get_num_threads() threads, as STREAM does.

Args:
    array_mib: size of each of the three double arrays in MiB; choose it well above the
        last-level cache so the loops stream from memory.
    repeats: timed rounds of each kernel after one untimed round; the best one is reported.

Returns:
    {"copy": GB/s, "triad": GB/s}: copy moves 16 bytes per element (c = a), triad 24
    (a = b + s * c); 1 GB = 1e9 bytes. The bound that memory-bound kernels compare against.
)doc");

  pybigml::bindings::register_attention(m);
  pybigml::bindings::register_conv(m);
  pybigml::bindings::register_gemm(m);
  pybigml::bindings::register_optim(m);
  pybigml::bindings::register_pool(m);
  pybigml::bindings::register_reduce(m);
}
