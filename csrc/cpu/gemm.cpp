// GEMM on the CPU: C = A @ B over a batch, transposed operands read in place.
//
// gemm_reference is the textbook triple loop. gemm is built the way BLIS builds it
// (Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality",
// ACM TOMS 2015), five loops around a register-blocked micro-kernel:
//
//   for jc in steps of NC over this thread's columns:
//     for pc in steps of KC over k:
//       pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels    KC x NC block (L3)
//       for ic in steps of MC over this thread's rows:
//         pack A[ic:ic+MC, pc:pc+KC] into MR-tall panels  MC x KC block, private (L2)
//         for jr in steps of NR:                          KC x NR micro-panel of B (L1/L2)
//           for ir in steps of MR:
//             C[ir:ir+MR, jr:jr+NR] (+)= A panel @ B micro-panel       MR x NR tile (registers)
//
// The micro-kernel keeps a 6 x 16 tile of C (float; 6 x 8 for double) in 12 AVX registers.
// Each step of k loads 2 vectors of B, broadcasts 6 values of A and issues 12 independent
// FMAs: more than the 8 in flight that two FMA pipes with a 4-cycle latency need, with loads
// to spare. Packing makes both operands unit-stride and zero-pads the edges, so a transposed
// operand costs no more than a plain one and the micro-kernel always runs on whole tiles.
//
// The block sizes were chosen by measurement on the machines pybigml is tuned on (AMD Zen:
// 32 KiB L1d and 512 KiB L2 per core, 32 MiB L3). For float: the MC x KC block of A
// (72 x 768, 216 KiB) stays in L2; the KC x NR micro-panel of B (48 KiB) streams from L2,
// which feeds a core fast enough, while a deep KC means fewer passes over C, each of which
// loads and stores every tile; the KC x NC block of B (3 MiB per thread) sits in L3.
// double keeps KC = 256: its 72 x 256 block of A takes 144 KiB.
// Each loop cuts its extent into equal blocks (K = 784 runs as 2 x 392, not 768 + 16).
// Packing costs O(mk + kn) per block against O(mnk) multiply-adds, so large products run
// close to the FMA peak of the cores (measure_fma_peak_gflops), the bound this kernel aims
// for; small ones pay for packing and for waking the threads.
//
// gemm_prepacked_b runs the same loops on a B that its caller has already packed into the
// panels of the micro-kernel (gemm.h describes the layout): gemm_block takes the source of
// its B panels as a parameter, packing them (gemm) or pointing into the caller's buffer.
//
// Threads: the tiles of C are split into a grid, one rectangular block per thread (whole
// matrices per thread for a large batch). Each thread packs the A and B panels its block needs
// into its own buffers, so threads never wait for one another before the call ends: on a
// shared or virtual machine a thread waiting at a barrier for a descheduled partner can lose
// a whole scheduler tick. The price is packing B (or A) once per thread row (column) of the
// grid, O(kn) against the O(mnk / threads) multiply-adds of a block.
#include "pybigml/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include "pybigml/simd.h"
#include "pybigml/threads.h"

namespace pybigml {
namespace {

// Register tile (kMR x kNR) and largest cache blocks (kMC x kKC of A, kKC x kNC of B), per
// type. kMC is a multiple of kMR and kNC of kNR, so blocks split on tile boundaries.
template <typename T>
struct Blocking;

// kNR is also the panel width of gemm_prepacked_b's packed B (gemm.h).
template <>
struct Blocking<float> {
  static constexpr int64_t kMR = 6, kNR = packed_b_panel_width<float>(), kMC = 72, kKC = 768,
                           kNC = 1024;
  static_assert(kNR == 16);
};

template <>
struct Blocking<double> {
  static constexpr int64_t kMR = 6, kNR = packed_b_panel_width<double>(), kMC = 72, kKC = 256,
                           kNC = 2048;
  static_assert(kNR == 8);
};

// Below this many multiply-adds per thread, waking another thread costs more than it saves.
constexpr int64_t kMinWorkPerThread = 64 * 64 * 64;

int64_t ceil_div(int64_t x, int64_t y) { return (x + y - 1) / y; }

// The step that cuts [0, extent) into the fewest blocks of at most max_step (a multiple of
// `unit`), all about the same size and multiples of `unit`: K = 784 in blocks of at most 768
// gives two blocks of 392 rather than 768 + 16, so no pass over C does little work.
int64_t even_step(int64_t extent, int64_t max_step, int64_t unit) {
  if (extent <= 0) return max_step;
  const int64_t blocks = ceil_div(extent, max_step);
  return ceil_div(ceil_div(extent, blocks), unit) * unit;
}

// One matrix of a batch: element (i, j) at data[i * row_stride + j * col_stride].
template <typename T>
struct StridedMatrix {
  const T* data;
  int64_t row_stride;
  int64_t col_stride;

  const T* at(int64_t i, int64_t j) const { return data + i * row_stride + j * col_stride; }
};

template <typename T>
StridedMatrix<T> matrix_of(const InputMatrices<T>& x, int64_t index) {
  const T* data = x.data + index * x.batch_stride;
  return x.transposed ? StridedMatrix<T>{data, 1, x.ld} : StridedMatrix<T>{data, x.ld, 1};
}

// Packs lines [0, width) of a panel whose line w is contiguous along p (element (w, p) at
// line[w * ld + p]) for p in [p_begin, depth): packed[p * W + w], zeros for w >= width.
template <int64_t W, typename T>
void pack_lines_scalar(const T* line, int64_t ld, int64_t width, int64_t p_begin, int64_t depth,
                       T* packed) {
  for (int64_t p = p_begin; p < depth; ++p) {
    for (int64_t w = 0; w < W; ++w) packed[p * W + w] = w < width ? line[w * ld + p] : T(0);
  }
}

// Extra elements at the end of each packing buffer: pack_lines may write this far past the
// panels it fills.
constexpr int64_t kPackSlack = 16;

// The same, for all p: reading kLanes lines at a time, kLanes values of p from each, and
// transposing that square in registers, since writing one value at a time to a stride of W
// would cost a store per element. When W is not a multiple of kLanes, the last group of lines
// is partial, and its whole-vector stores spill kLanes - (W - group) lanes into the start of
// the next row of the panel. So groups are stored last to first: what a partial group spills
// into row p + 1 is overwritten by the full groups of row p + 1, stored after it, or by the
// next rows. The spill of the last row lands in the next panel (packed later) or in the
// buffer's slack.
template <int64_t W, typename T>
void pack_lines(const T* line, int64_t ld, int64_t width, int64_t depth, T* packed) {
  int64_t p = 0;
#ifdef PYBIGML_HAVE_AVX2_FMA
  using V = simd::Vec<T>;
  constexpr int kLanes = V::kLanes;
  static_assert(kLanes - W % kLanes <= kPackSlack);
  for (; p + kLanes <= depth; p += kLanes) {
    for (int group = (W - 1) / kLanes * kLanes; group >= 0; group -= kLanes) {
      typename V::Reg square[kLanes];
      for (int j = 0; j < kLanes; ++j) {
        square[j] = group + j < width ? V::load(line + (group + j) * ld + p) : V::zero();
      }
      V::transpose(square);
      for (int j = 0; j < kLanes; ++j) V::store(packed + (p + j) * W + group, square[j]);
    }
  }
#endif
  pack_lines_scalar<W>(line, ld, width, p, depth, packed);
}

// Packs an extent x depth block, whose element (x, p) is src[x * x_stride + p * p_stride]
// with one of the two strides 1, into ceil(extent / W) panels of W lines: panel q holds, for
// p = 0 .. depth-1 in turn, the W values (q * W + w, p), zeros past `extent`. A block of A is
// packed with x = row, and a block of B with x = column, so the micro-kernel reads both
// operands contiguously.
template <int64_t W, typename T>
void pack_panels(const T* src, int64_t x_stride, int64_t p_stride, int64_t extent, int64_t depth,
                 T* packed) {
  for (int64_t x0 = 0; x0 < extent; x0 += W, packed += W * depth) {
    const int64_t width = std::min(W, extent - x0);
    const T* line = src + x0 * x_stride;
    if (x_stride != 1) {
      pack_lines<W>(line, x_stride, width, depth, packed);
    } else if (width == W) {
      // The W values of one p are adjacent in memory: a copy of fixed length per p.
      for (int64_t p = 0; p < depth; ++p) {
        for (int64_t w = 0; w < W; ++w) packed[p * W + w] = line[p * p_stride + w];
      }
    } else {
      for (int64_t p = 0; p < depth; ++p) {
        for (int64_t w = 0; w < W; ++w) {
          packed[p * W + w] = w < width ? line[p * p_stride + w] : T(0);
        }
      }
    }
  }
}

#ifdef PYBIGML_HAVE_AVX2_FMA

// C[0:MR, 0:NR] = (accumulate ? C : 0) + sum over p of a[p*MR + i] * b[p*NR + j], with a and b
// packed panels. The tile of C lives in registers for the whole loop over p.
template <typename T>
void micro_kernel(int64_t depth, const T* a, const T* b, T* c, int64_t ldc, bool accumulate) {
  using V = simd::Vec<T>;
  using Reg = typename V::Reg;
  constexpr int kMR = Blocking<T>::kMR;
  constexpr int kVecs = Blocking<T>::kNR / V::kLanes;

  // The tile of C is touched only after the loop over p: start fetching its rows (ldc apart,
  // often on different pages) now, so the misses overlap with the multiply-adds.
  for (int i = 0; i < kMR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kVecs * V::kLanes - 1), _MM_HINT_T0);
  }
  // GCC keeps acc in registers only if the loops over its indices are unrolled before it
  // decides where acc lives; "#pragma GCC unroll" forces that. Without it the tile goes
  // through the stack on every step of p and the kernel runs about 3x slower.
  Reg acc[kMR][kVecs];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) acc[i][j] = V::zero();
  }
  for (int64_t p = 0; p < depth; ++p, a += kMR, b += kVecs * V::kLanes) {
    Reg b_row[kVecs];
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) b_row[j] = V::load(b + j * V::kLanes);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const Reg a_value = V::broadcast(a + i);
#pragma GCC unroll 8
      for (int j = 0; j < kVecs; ++j) acc[i][j] = V::fma(a_value, b_row[j], acc[i][j]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < kVecs; ++j) {
      T* out = c + i * ldc + j * V::kLanes;
      V::store(out, accumulate ? V::add(V::load(out), acc[i][j]) : acc[i][j]);
    }
  }
}

#else

// Portable micro-kernel with the same contract, one row of the tile at a time: a row of C
// (kNR values) fits in the registers of any SIMD unit the compiler targets, where the whole
// tile would not, and B's panel is read again from L1 for each row.
template <typename T>
void micro_kernel(int64_t depth, const T* a, const T* b, T* c, int64_t ldc, bool accumulate) {
  constexpr int kMR = Blocking<T>::kMR;
  constexpr int kNR = Blocking<T>::kNR;
  for (int i = 0; i < kMR; ++i) {
    T row[kNR] = {};
    for (int64_t p = 0; p < depth; ++p) {
      const T a_value = a[p * kMR + i];
      for (int j = 0; j < kNR; ++j) row[j] += a_value * b[p * kNR + j];
    }
    for (int j = 0; j < kNR; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + row[j] : row[j];
  }
}

#endif  // PYBIGML_HAVE_AVX2_FMA

// The micro-kernel on a tile of C that may be cut by the matrix edge (rows <= MR, cols <= NR):
// an edge tile is computed whole into a local buffer and only its valid part is written.
template <typename T>
void compute_tile(int64_t depth, const T* a, const T* b, T* c, int64_t ldc, int64_t rows,
                  int64_t cols, bool accumulate) {
  constexpr int64_t kMR = Blocking<T>::kMR;
  constexpr int64_t kNR = Blocking<T>::kNR;
  if (rows == kMR && cols == kNR) {
    micro_kernel(depth, a, b, c, ldc, accumulate);
    return;
  }
  alignas(64) T tile[kMR * kNR];
  micro_kernel(depth, a, b, tile, kNR, false);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * kNR + j] : tile[i * kNR + j];
    }
  }
}

// The share [begin, end) of [0, count) that worker `index` of `workers` gets (sizes differ
// by at most one).
std::pair<int64_t, int64_t> share(int64_t count, int index, int workers) {
  return {count * index / workers, count * (index + 1) / workers};
}

// A rows x cols grid of threads over the tiles of C (rows * cols == threads) that keeps the
// largest per-thread share smallest; on a tie, more rows.
struct ThreadGrid {
  int rows;
  int cols;
};

ThreadGrid choose_grid(int threads, int64_t row_tiles, int64_t col_tiles) {
  ThreadGrid best{threads, 1};
  int64_t best_load = std::numeric_limits<int64_t>::max();
  for (int rows = threads; rows >= 1; --rows) {
    if (threads % rows != 0) continue;
    const int cols = threads / rows;
    const int64_t load = ceil_div(row_tiles, rows) * ceil_div(col_tiles, cols);
    if (load < best_load) {
      best = {rows, cols};
      best_load = load;
    }
  }
  return best;
}

// The kc x nc block of B that one step of gemm_block multiplies, as panels of kNR columns:
// panel q (columns q * kNR ..) holds kc rows of kNR values at panels + q * panel_stride.
template <typename T>
struct PackedPanels {
  const T* panels;
  int64_t panel_stride;
};

// Rows [row_begin, row_end) x columns [col_begin, col_end) of c (+)= a @ b (a: m x k, b: k x n,
// c row-major with leading dimension ldc), on the calling thread alone. col_begin is a
// multiple of kNR. panels_of_b(jc, nc, pc, kc) returns the block B[pc:pc+kc, jc:jc+nc] as
// PackedPanels: gemm packs it into a buffer, gemm_prepacked_b points into its caller's packed
// B. packed_a holds kMC x kKC elements. accumulate adds the product to c instead of writing it.
template <typename T, typename PanelsOfB>
void gemm_block(int64_t k, const StridedMatrix<T>& a, T* c, int64_t ldc, int64_t row_begin,
                int64_t row_end, int64_t col_begin, int64_t col_end, bool accumulate, T* packed_a,
                PanelsOfB&& panels_of_b) {
  using B = Blocking<T>;
  const int64_t nc_step = even_step(col_end - col_begin, B::kNC, B::kNR);
  for (int64_t jc = col_begin; jc < col_end; jc += nc_step) {
    const int64_t nc = std::min(nc_step, col_end - jc);
    const int64_t kc_step = even_step(k, B::kKC, 1);
    for (int64_t pc = 0; pc < k; pc += kc_step) {
      const int64_t kc = std::min(kc_step, k - pc);
      const bool add = accumulate || pc > 0;
      const PackedPanels<T> b = panels_of_b(jc, nc, pc, kc);
      const int64_t mc_step = even_step(row_end - row_begin, B::kMC, B::kMR);
      for (int64_t ic = row_begin; ic < row_end; ic += mc_step) {
        const int64_t mc = std::min(mc_step, row_end - ic);
        pack_panels<B::kMR>(a.at(ic, pc), a.row_stride, a.col_stride, mc, kc, packed_a);
        for (int64_t jr = 0; jr < nc; jr += B::kNR) {
          const T* b_panel = b.panels + jr / B::kNR * b.panel_stride;
          for (int64_t ir = 0; ir < mc; ir += B::kMR) {
            compute_tile(kc, packed_a + ir * kc, b_panel, c + (ic + ir) * ldc + jc + jr, ldc,
                         std::min(B::kMR, mc - ir), std::min(B::kNR, nc - jr), add);
          }
        }
      }
    }
  }
}

// The threads gemm and gemm_prepacked_b run on for `work` multiply-adds: one inside a parallel
// region (OpenMP nesting is off, and a kernel that parallelises over samples calls them from
// its threads), else enough that each gets kMinWorkPerThread, at most get_num_threads().
int threads_for(int64_t work) {
  if (omp_in_parallel()) return 1;
  return static_cast<int>(std::clamp<int64_t>(work / kMinWorkPerThread, 1, get_num_threads()));
}

// Rows and columns of C ([row_begin, row_end) x [col_begin, col_end), on tile boundaries) that
// thread `id` of `team_size` computes of every matrix of the batch when the threads share each
// product: threads write disjoint parts of C and never wait for each other.
struct ThreadBlock {
  int64_t row_begin, row_end, col_begin, col_end;
};

template <typename T>
ThreadBlock thread_block(int id, int team_size, int64_t m, int64_t n) {
  using B = Blocking<T>;
  const ThreadGrid grid = choose_grid(team_size, ceil_div(m, B::kMR), ceil_div(n, B::kNR));
  const auto [row_tile_begin, row_tile_end] = share(ceil_div(m, B::kMR), id / grid.cols, grid.rows);
  const auto [col_tile_begin, col_tile_end] = share(ceil_div(n, B::kNR), id % grid.cols, grid.cols);
  return {row_tile_begin * B::kMR, std::min(m, row_tile_end * B::kMR), col_tile_begin * B::kNR,
          std::min(n, col_tile_end * B::kNR)};
}

// A grow-only, 64-byte aligned scratch buffer owned by the calling thread, so that repeated
// calls allocate nothing (a fresh multi-megabyte buffer is page-faulted in on every call).
template <typename T>
T* thread_workspace(int64_t count) {
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<T, Free> buffer;
  thread_local int64_t capacity = 0;
  if (count > capacity) {
    const size_t bytes = (static_cast<size_t>(count) * sizeof(T) + 63) / 64 * 64;
    T* fresh = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (fresh == nullptr) throw std::bad_alloc();
    buffer.reset(fresh);
    capacity = count;
  }
  return buffer.get();
}

}  // namespace

template <typename T>
void gemm_reference(int64_t batch, int64_t m, int64_t n, int64_t k, InputMatrices<T> a,
                    InputMatrices<T> b, OutputMatrices<T> c) {
  for (int64_t index = 0; index < batch; ++index) {
    const StridedMatrix<T> a_matrix = matrix_of(a, index);
    const StridedMatrix<T> b_matrix = matrix_of(b, index);
    T* c_matrix = c.data + index * c.batch_stride;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        T sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += *a_matrix.at(i, p) * *b_matrix.at(p, j);
        c_matrix[i * c.ld + j] = sum;
      }
    }
  }
}

template <typename T>
void gemm(int64_t batch, int64_t m, int64_t n, int64_t k, InputMatrices<T> a, InputMatrices<T> b,
          OutputMatrices<T> c) {
  using B = Blocking<T>;
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k == 0) {
    for (int64_t index = 0; index < batch; ++index) {
      for (int64_t i = 0; i < m; ++i) {
        T* row = c.data + index * c.batch_stride + i * c.ld;
        std::fill(row, row + n, T(0));
      }
    }
    return;
  }

  const int threads = threads_for(batch * m * n * k);
  // Whole matrices per thread when the batch divides well among the threads.
  const bool matrix_per_thread =
      threads > 1 && batch >= threads && (batch % threads == 0 || batch >= 4 * threads);

  // Each thread packs into its own buffers; they are sized and allocated here, outside the
  // parallel region, where an allocation failure can still be reported as an exception.
  // Sizes are multiples of 16 elements, so every buffer starts 64-byte aligned.
  static_assert(B::kMC * B::kKC % 16 == 0 && B::kKC * B::kNR % 16 == 0 && kPackSlack % 16 == 0);
  const int64_t a_size = B::kMC * B::kKC + kPackSlack;
  const int64_t b_size = B::kKC * ceil_div(std::min(n, B::kNC), B::kNR) * B::kNR + kPackSlack;
  T* workspace = thread_workspace<T>(threads * (a_size + b_size));

  // Runs on thread `id` of `team_size`, with that thread's packing buffers.
  const auto run_thread = [&](int id, int team_size) {
    T* packed_a = workspace + id * (a_size + b_size);
    T* packed_b = packed_a + a_size;
    const auto run = [&](int64_t index, const ThreadBlock& block) {
      const StridedMatrix<T> b_matrix = matrix_of(b, index);
      gemm_block(k, matrix_of(a, index), c.data + index * c.batch_stride, c.ld, block.row_begin,
                 block.row_end, block.col_begin, block.col_end, false, packed_a,
                 [&](int64_t jc, int64_t nc, int64_t pc, int64_t kc) {
                   pack_panels<B::kNR>(b_matrix.at(pc, jc), b_matrix.col_stride,
                                       b_matrix.row_stride, nc, kc, packed_b);
                   return PackedPanels<T>{packed_b, kc * B::kNR};
                 });
    };
    if (matrix_per_thread) {
      for (int64_t index = batch * id / team_size; index < batch * (id + 1) / team_size; ++index) {
        run(index, {0, m, 0, n});
      }
    } else {
      const ThreadBlock block = thread_block<T>(id, team_size, m, n);
      for (int64_t index = 0; index < batch; ++index) run(index, block);
    }
  };
  if (threads == 1) {
    run_thread(0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  run_thread(omp_get_thread_num(), omp_get_num_threads());
}

template <typename T>
void gemm_prepacked_b(int64_t m, int64_t n, int64_t k, InputMatrices<T> a, const T* packed_b,
                      OutputMatrices<T> c, bool accumulate) {
  using B = Blocking<T>;
  if (m <= 0 || n <= 0) return;
  if (k == 0) {
    if (accumulate) return;
    for (int64_t i = 0; i < m; ++i) std::fill(c.data + i * c.ld, c.data + i * c.ld + n, T(0));
    return;
  }
  const int threads = threads_for(m * n * k);
  const int64_t a_size = B::kMC * B::kKC + kPackSlack;
  T* workspace = thread_workspace<T>(threads * a_size);
  const StridedMatrix<T> a_matrix = matrix_of(a, 0);
  const auto run_thread = [&](int id, int team_size) {
    const ThreadBlock block = thread_block<T>(id, team_size, m, n);
    gemm_block(k, a_matrix, c.data, c.ld, block.row_begin, block.row_end, block.col_begin,
               block.col_end, accumulate, workspace + id * a_size,
               [&](int64_t jc, int64_t, int64_t pc, int64_t) {
                 // Panel jc / kNR of the packed B, from row pc on (see gemm.h).
                 return PackedPanels<T>{packed_b + jc * k + pc * B::kNR, k * B::kNR};
               });
  };
  if (threads == 1) {
    run_thread(0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  run_thread(omp_get_thread_num(), omp_get_num_threads());
}

template void gemm<float>(int64_t, int64_t, int64_t, int64_t, InputMatrices<float>,
                          InputMatrices<float>, OutputMatrices<float>);
template void gemm<double>(int64_t, int64_t, int64_t, int64_t, InputMatrices<double>,
                           InputMatrices<double>, OutputMatrices<double>);
template void gemm_prepacked_b<float>(int64_t, int64_t, int64_t, InputMatrices<float>, const float*,
                                      OutputMatrices<float>, bool);
template void gemm_prepacked_b<double>(int64_t, int64_t, int64_t, InputMatrices<double>,
                                       const double*, OutputMatrices<double>, bool);
template void gemm_reference<float>(int64_t, int64_t, int64_t, int64_t, InputMatrices<float>,
                                    InputMatrices<float>, OutputMatrices<float>);
template void gemm_reference<double>(int64_t, int64_t, int64_t, int64_t, InputMatrices<double>,
                                     InputMatrices<double>, OutputMatrices<double>);

}  // namespace pybigml
