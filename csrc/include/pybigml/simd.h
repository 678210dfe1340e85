// Thin wrappers over the AVX2/FMA intrinsics the CPU kernels use, so one templated kernel
// serves float and double. Compiled only where the build enabled AVX2 and FMA; kernels keep a
// portable C++ path for other machines (see PYBIGML_HAVE_AVX2_FMA).
#pragma once

#if defined(__AVX2__) && defined(__FMA__)
#define PYBIGML_HAVE_AVX2_FMA 1
#include <immintrin.h>
#endif

namespace pybigml::simd {

// True when the kernels were compiled with AVX2 and FMA, false for the portable path.
constexpr bool kHaveAvx2Fma =
#ifdef PYBIGML_HAVE_AVX2_FMA
    true;
#else
    false;
#endif

#ifdef PYBIGML_HAVE_AVX2_FMA

// One 256-bit register of T: kLanes values. All memory accesses are unaligned-tolerant.
template <typename T>
struct Vec;

template <>
struct Vec<float> {
  using Reg = __m256;
  static constexpr int kLanes = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg broadcast(float x) { return _mm256_set1_ps(x); }
  static Reg broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm256_storeu_ps(p, v); }
  static Reg add(Reg x, Reg y) { return _mm256_add_ps(x, y); }
  // x * y + z with one rounding.
  static Reg fma(Reg x, Reg y, Reg z) { return _mm256_fmadd_ps(x, y, z); }
  // Transposes the 8 x 8 matrix whose rows are r[0..7], in place.
  static void transpose(Reg r[8]) {
    Reg t[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
    }
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);          // a0 b0 c0 d0 | a4 b4 c4 d4
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);      // a1 b1 c1 d1 | a5 b5 c5 d5
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);  // a2 ...      | a6 ...
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);  // a3 ...      | a7 ...
    }
    for (int i = 0; i < 4; ++i) {
      t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);      // column i: lower halves
      t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);  // column i + 4: upper halves
    }
    for (int i = 0; i < 8; ++i) r[i] = t[i];
  }
};

template <>
struct Vec<double> {
  using Reg = __m256d;
  static constexpr int kLanes = 4;
  static Reg zero() { return _mm256_setzero_pd(); }
  static Reg broadcast(double x) { return _mm256_set1_pd(x); }
  static Reg broadcast(const double* p) { return _mm256_broadcast_sd(p); }
  static Reg load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, Reg v) { _mm256_storeu_pd(p, v); }
  static Reg add(Reg x, Reg y) { return _mm256_add_pd(x, y); }
  static Reg fma(Reg x, Reg y, Reg z) { return _mm256_fmadd_pd(x, y, z); }
  // Transposes the 4 x 4 matrix whose rows are r[0..3], in place.
  static void transpose(Reg r[4]) {
    const Reg t0 = _mm256_unpacklo_pd(r[0], r[1]);  // a0 b0 | a2 b2
    const Reg t1 = _mm256_unpackhi_pd(r[0], r[1]);  // a1 b1 | a3 b3
    const Reg t2 = _mm256_unpacklo_pd(r[2], r[3]);  // c0 d0 | c2 d2
    const Reg t3 = _mm256_unpackhi_pd(r[2], r[3]);  // c1 d1 | c3 d3
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
  }
};

#endif  // PYBIGML_HAVE_AVX2_FMA

}  // namespace pybigml::simd
