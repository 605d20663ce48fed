// MobileNetV2's inverted residual block as one kernel, NHWC float32, used by dnnl_kernels.cc:
//
//   e = act1(conv1x1(x, We) + be)          expand (optional: blocks with expansion 1 have none)
//   d = act2(depthwise3x3(e, Wd) + bd)     stride 1 or 2, any padding
//   y = act3(conv1x1(d, Wp) + bp [+ r])    project, with the block's residual add
//
// Run layer by layer, e and d are the largest tensors of the network (6x the block's input)
// and each makes a round trip through memory. Here every thread takes one image (or a band
// of rows of it) and walks it in strips of a few output rows: it expands just the input rows
// the strip needs (keeping the 1-2 rows the next strip shares), runs the depthwise layer on
// them and projects the result straight into y, so e and d only live in the core's L2.
//
// The two 1x1 layers are GEMMs [pixels x C] x [C x K] on weights packed once as
// [K / 16][C][16]; a register tile of MR pixels x NB * 16 channels accumulates over C. The
// depthwise layer keeps its 9 taps of 16 channels in registers along an output row.
// Vectors are GCC vector extensions compiled for AVX-512 (32 vector registers hold the tiles);
// on a CPU without it, or with PADDLEC_PORTABLE_KERNELS=1, plain scalar loops compute the
// same layers (correct, several times slower: the compiler only fuses blocks for targets
// with AVX-512, see fuse_inverted_residual.py).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <omp.h>

#include "huge_pages.h"
#include "v16.h"

namespace {
namespace inverted_residual {

constexpr int kLanes = 16;
using v16::Load;
using v16::Store;
using v16::V16;

// act kind: 0 none, 1 relu, 2 clip(alpha, beta), 4 alpha * x + beta (as in dnnl_kernels.cc).
struct Act {
  int64_t kind;
  float alpha, beta;
};

inline __attribute__((always_inline)) V16 Apply(V16 v, const Act& act) {
  if (act.kind == 1) {
    const V16 zero = {};
    v = v > zero ? v : zero;
  } else if (act.kind == 2) {
    const V16 lo = act.alpha - V16{}, hi = act.beta - V16{};
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
  } else if (act.kind == 4) {
    v = act.alpha * v + act.beta;
  }
  return v;
}

// src [rows][cols] as [cols][rows] (weights into the layout a kernel walks).
inline std::vector<float> Transposed(const float* src, int64_t rows, int64_t cols) {
  std::vector<float> dst(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) dst[j * rows + i] = src[i * cols + j];
  }
  return dst;
}

// A 1x1 layer's weights packed for the GEMM: [blocks][c][16], output channels past k zero.
struct Pointwise {
  int64_t c = 0, k = 0, blocks = 0;
  std::vector<float, huge_pages::Allocator<float>> packed;
  std::vector<float> bias;  // padded to blocks * 16
  Act act{0, 0.f, 0.f};
};

// Output channels in groups of 64 (the GEMM's widest tile): a unit of work for threads that
// split a layer by channels. Group g covers channels [begin, end) of the padded blocks.
constexpr int64_t kGroupLanes = 4 * kLanes;
inline int64_t ColumnGroups(const Pointwise& p) { return (p.blocks + 3) / 4; }
inline int64_t GroupBegin(int64_t g) { return g * kGroupLanes; }
inline int64_t GroupEnd(const Pointwise& p, int64_t g) {
  return std::min((g + 1) * kGroupLanes, p.blocks * kLanes);
}

// oihw: [k][c][1][1].
inline Pointwise PackPointwise(const float* oihw, const float* bias, int64_t c, int64_t k,
                               Act act) {
  Pointwise p;
  p.c = c;
  p.k = k;
  p.blocks = (k + kLanes - 1) / kLanes;
  p.packed.assign(static_cast<size_t>(p.blocks * c * kLanes), 0.f);
  p.bias.assign(static_cast<size_t>(p.blocks * kLanes), 0.f);
  for (int64_t o = 0; o < k; ++o) {
    for (int64_t i = 0; i < c; ++i) {
      p.packed[((o / kLanes) * c + i) * kLanes + o % kLanes] = oihw[o * c + i];
    }
    p.bias[o] = bias[o];
  }
  p.act = act;
  return p;
}

// The input channels one tile pass sums over; passes after the first add to the partial sums
// in c, the last applies the epilogue.
struct Depth {
  int64_t begin, end;
  bool first, last;
};

// Register tile: rows [0, MR) x channel blocks [0, NB) of C = A x B over input channels
// `depth`, then (last pass) bias, residual, activation. a: MR rows of lda; b: the first
// block's packed weights; c, r: rows of ldc.
template <int MR, int NB>
inline __attribute__((always_inline)) void Tile(const float* a, int64_t lda, const float* b,
                                                int64_t c_in, const Depth& depth,
                                                const float* bias, const Act& act,
                                                const float* r, float* c, int64_t ldc) {
  V16 acc[MR][NB];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[i][j] = depth.first ? V16{} : Load(c + i * ldc + j * kLanes);
  }
  const int64_t block = c_in * kLanes;
  for (int64_t q = depth.begin; q < depth.end; ++q) {
    V16 w[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) w[j] = Load(b + j * block + q * kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const float x = a[i * lda + q];
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[i][j] += x * w[j];
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      V16 v = acc[i][j];
      if (depth.last) {
        v += Load(bias + j * kLanes);
        if (r != nullptr) v += Load(r + i * ldc + j * kLanes);
        v = Apply(v, act);
      }
      Store(c + i * ldc + j * kLanes, v);
    }
  }
}

// Rows of tile per channel-block count: 24-28 accumulators of the 32 AVX-512 registers.
template <int NB>
constexpr int RowsFor() {
  return NB == 4 ? 6 : NB == 3 ? 8 : NB == 2 ? 12 : 14;
}

// The last `rows` (< R + 1) rows of a column group: one tile of exactly that many rows.
template <int NB, int R>
inline __attribute__((always_inline)) void LastRows(int64_t rows, const float* a, int64_t lda,
                                                    const float* b, int64_t c_in,
                                                    const Depth& depth, const float* bias,
                                                    const Act& act, const float* r, float* c,
                                                    int64_t ldc) {
  if constexpr (R > 0) {
    if (rows == R) return Tile<R, NB>(a, lda, b, c_in, depth, bias, act, r, c, ldc);
    LastRows<NB, R - 1>(rows, a, lda, b, c_in, depth, bias, act, r, c, ldc);
  }
}

// Blocking of the GEMM: rows per pass over the input channels, input channels per pass
// (128 x 64 weights = 32 KB stay in L1 while a block of rows goes by).
constexpr int64_t kRowBlock = 96, kDepthBlock = 128;

// One column group (NB blocks starting at channel `col`) over rows [0, m): full tiles, then
// a tile of the rows left.
template <int NB>
inline __attribute__((always_inline)) void Columns(const Pointwise& p, int64_t col,
                                                   const float* a, int64_t m, int64_t lda,
                                                   const float* r, float* c, int64_t ldc) {
  constexpr int MR = RowsFor<NB>();
  const float* b = p.packed.data() + (col / kLanes) * p.c * kLanes;
  const float* bias = p.bias.data() + col;
  const bool partial_columns = col + NB * kLanes > p.k;
  int64_t i = 0;
  if (!partial_columns) {
    for (int64_t i0 = 0; i0 < m; i0 += kRowBlock) {
      const int64_t i1 = std::min(m, i0 + kRowBlock);
      for (int64_t q = 0; q < p.c; q += kDepthBlock) {
        const Depth depth{q, std::min(p.c, q + kDepthBlock), q == 0, q + kDepthBlock >= p.c};
        for (i = i0; i + MR <= i1; i += MR) {
          Tile<MR, NB>(a + i * lda, lda, b, p.c, depth, bias, p.act,
                       r ? r + i * ldc + col : nullptr, c + i * ldc + col, ldc);
        }
        LastRows<NB, MR - 1>(i1 - i, a + i * lda, lda, b, p.c, depth, bias, p.act,
                             r ? r + i * ldc + col : nullptr, c + i * ldc + col, ldc);
      }
    }
    return;
  }
  // channels past k: each tile goes to a scratch tile, then its valid columns to c
  const int64_t cols = p.k - col;
  alignas(64) float r_tile[MR * NB * kLanes], c_tile[MR * NB * kLanes];
  for (; i < m; i += MR) {
    const int64_t rows = std::min<int64_t>(MR, m - i);
    for (int64_t t = 0; t < rows && r != nullptr; ++t) {
      std::memcpy(r_tile + t * NB * kLanes, r + (i + t) * ldc + col, sizeof(float) * cols);
    }
    const float* r_in = r ? r_tile : nullptr;
    const Depth all{0, p.c, true, true};
    if (rows == MR) {
      Tile<MR, NB>(a + i * lda, lda, b, p.c, all, bias, p.act, r_in, c_tile, NB * kLanes);
    } else {
      LastRows<NB, MR - 1>(rows, a + i * lda, lda, b, p.c, all, bias, p.act, r_in, c_tile,
                           NB * kLanes);
    }
    for (int64_t t = 0; t < rows; ++t) {
      std::memcpy(c + (i + t) * ldc + col, c_tile + t * NB * kLanes, sizeof(float) * cols);
    }
  }
}

// c[m][k] = act(a[m][c] x W + bias [+ r]) for output channels [col, end) (multiples of 16);
// rows of a are lda apart, rows of c and r ldc.
__attribute__((target("avx512f")))
void GemmAvx512(const Pointwise& p, const float* a, int64_t m, int64_t lda, const float* r,
                float* c, int64_t ldc, int64_t col, int64_t end) {
  for (; col + kGroupLanes <= end; col += kGroupLanes) Columns<4>(p, col, a, m, lda, r, c, ldc);
  const int64_t left = (end - col) / kLanes;
  if (left == 3) Columns<3>(p, col, a, m, lda, r, c, ldc);
  if (left == 2) Columns<2>(p, col, a, m, lda, r, c, ldc);
  if (left == 1) Columns<1>(p, col, a, m, lda, r, c, ldc);
}

// Depthwise 3x3 weights as [9][channels] and the geometry of one layer.
struct Depthwise {
  int64_t channels = 0;
  int64_t h = 0, w = 0, oh = 0, ow = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  std::vector<float> taps, bias;
  Act act{0, 0.f, 0.f};
};

// One output row of the depthwise layer, channels [c_begin, c_end). rows[kh]: input row
// oh * stride - pad_top + kh, or null where that row is padding; out: ow x channels.
__attribute__((target("avx512f")))
void DepthwiseRowAvx512(const Depthwise& d, const float* const rows[3], float* out,
                        int64_t c_begin, int64_t c_end) {
  const int64_t ch = d.channels;
  // output columns whose three input columns all lie inside the row
  const int64_t first = std::min(d.ow, (d.pad_left + d.stride_w - 1) / d.stride_w);
  int64_t last = first;
  while (last < d.ow && last * d.stride_w - d.pad_left + 2 < d.w) ++last;
  for (int64_t c0 = c_begin; c0 < c_end; c0 += kLanes) {
    V16 tap[9];
    for (int t = 0; t < 9; ++t) {
      tap[t] = rows[t / 3] != nullptr ? Load(d.taps.data() + t * ch + c0) : V16{};
    }
    const V16 bias = Load(d.bias.data() + c0);
    const float* row0 = rows[0] ? rows[0] : rows[1] ? rows[1] : rows[2];
    if (row0 == nullptr) {  // all three rows are padding
      for (int64_t x = 0; x < d.ow; ++x) Store(out + x * ch + c0, Apply(bias, d.act));
      continue;
    }
    const float* in[3] = {rows[0] ? rows[0] : row0, rows[1] ? rows[1] : row0,
                          rows[2] ? rows[2] : row0};  // zero taps read a valid row
    auto edge = [&](int64_t x) {
      V16 acc = bias;
      for (int kw = 0; kw < 3; ++kw) {
        const int64_t ix = x * d.stride_w - d.pad_left + kw;
        if (ix < 0 || ix >= d.w) continue;
        for (int kh = 0; kh < 3; ++kh) acc += Load(in[kh] + ix * ch + c0) * tap[kh * 3 + kw];
      }
      Store(out + x * ch + c0, Apply(acc, d.act));
    };
    for (int64_t x = 0; x < first; ++x) edge(x);
    for (int64_t x = first; x < last; ++x) {
      const int64_t ix = (x * d.stride_w - d.pad_left) * ch + c0;
      V16 acc = bias;
#pragma GCC unroll 3
      for (int kh = 0; kh < 3; ++kh) {
        acc += Load(in[kh] + ix) * tap[kh * 3];
        acc += Load(in[kh] + ix + ch) * tap[kh * 3 + 1];
        acc += Load(in[kh] + ix + 2 * ch) * tap[kh * 3 + 2];
      }
      Store(out + x * ch + c0, Apply(acc, d.act));
    }
    for (int64_t x = last; x < d.ow; ++x) edge(x);
  }
}

// The network's stem as the block's first layer: a KxK convolution of an NCHW input with few
// channels (MobileNetV2: 3x3 stride 2 of the RGB image) computed row by row from the input as
// given, so neither an NHWC copy of the image nor the stem's output goes through memory.
struct Stem {
  int64_t c_in = 0, kh = 0, kw = 0, in_h = 0, in_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  int64_t channels = 0;     // output channels, a multiple of 16
  std::vector<float> taps;  // [c_in][kh][kw][channels]
  std::vector<float> bias;
  Act act{0, 0.f, 0.f};
};
constexpr int64_t kMaxStemRows = 64;  // c_in * kh

// P output pixels from column x0 x NB * 16 channels from channel c0; kChecked: input columns
// may fall outside the row.
template <int NB, int P, bool kChecked>
inline __attribute__((always_inline)) void StemTile(const Stem& s, const float* const* rows,
                                                    int64_t x0, int64_t c0, float* out) {
  V16 acc[P][NB];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
#pragma GCC unroll 4
    for (int q = 0; q < NB; ++q) acc[p][q] = Load(s.bias.data() + c0 + q * kLanes);
  }
  for (int64_t ci = 0; ci < s.c_in; ++ci) {
    for (int64_t i = 0; i < s.kh; ++i) {
      const float* row = rows[ci * s.kh + i];
      if (row == nullptr) continue;  // a padding row
      for (int64_t j = 0; j < s.kw; ++j) {
        const float* w = s.taps.data() + ((ci * s.kh + i) * s.kw + j) * s.channels + c0;
        V16 wv[NB];
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) wv[q] = Load(w + q * kLanes);
#pragma GCC unroll 8
        for (int p = 0; p < P; ++p) {
          const int64_t ix = (x0 + p) * s.stride_w - s.pad_left + j;
          if (kChecked && (ix < 0 || ix >= s.in_w)) continue;
          const float v = row[ix];
#pragma GCC unroll 4
          for (int q = 0; q < NB; ++q) acc[p][q] += v * wv[q];
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
#pragma GCC unroll 4
    for (int q = 0; q < NB; ++q) {
      Store(out + (x0 + p) * s.channels + c0 + q * kLanes, Apply(acc[p][q], s.act));
    }
  }
}

// Output columns [0, ow) for channels [c0, c0 + NB * 16): edge columns checked one by one,
// the interior P at a time.
template <int NB>
inline __attribute__((always_inline)) void StemColumns(const Stem& s, const float* const* rows,
                                                       int64_t ow, int64_t first, int64_t last,
                                                       int64_t c0, float* out) {
  constexpr int P = NB <= 2 ? 8 : 4;
  int64_t x = 0;
  for (; x < first; ++x) StemTile<NB, 1, true>(s, rows, x, c0, out);
  for (; x + P <= last; x += P) StemTile<NB, P, false>(s, rows, x, c0, out);
  for (; x < last; ++x) StemTile<NB, 1, false>(s, rows, x, c0, out);
  for (; x < ow; ++x) StemTile<NB, 1, true>(s, rows, x, c0, out);
}

// Stem output row y (ow pixels x channels, NHWC) of one NCHW image.
__attribute__((target("avx512f")))
void StemRowAvx512(const Stem& s, const float* image, int64_t y, int64_t ow, float* out) {
  const float* rows[kMaxStemRows];
  for (int64_t ci = 0; ci < s.c_in; ++ci) {
    for (int64_t i = 0; i < s.kh; ++i) {
      const int64_t iy = y * s.stride_h - s.pad_top + i;
      rows[ci * s.kh + i] =
          iy < 0 || iy >= s.in_h ? nullptr : image + (ci * s.in_h + iy) * s.in_w;
    }
  }
  // columns whose kw input columns all lie inside the row
  const int64_t first = std::min(ow, (s.pad_left + s.stride_w - 1) / s.stride_w);
  int64_t last = first;
  while (last < ow && last * s.stride_w - s.pad_left + s.kw <= s.in_w) ++last;
  for (int64_t c0 = 0; c0 < s.channels; c0 += 4 * kLanes) {
    const int64_t nb = std::min<int64_t>(4, (s.channels - c0) / kLanes);
    if (nb == 4) StemColumns<4>(s, rows, ow, first, last, c0, out);
    if (nb == 3) StemColumns<3>(s, rows, ow, first, last, c0, out);
    if (nb == 2) StemColumns<2>(s, rows, ow, first, last, c0, out);
    if (nb == 1) StemColumns<1>(s, rows, ow, first, last, c0, out);
  }
}

// The block's first layer: none (the depthwise layer reads the NHWC input), a 1x1 expand of
// the NHWC input, or a stem convolution of an NCHW input.
enum class First { kNone = 0, kExpand = 1, kStem = 2 };

// The whole block: optional first layer, depthwise, project.
struct Block {
  First first = First::kNone;
  Pointwise expand, project;
  Stem stem;
  Depthwise dw;
  int64_t c_in = 0;       // block input channels (= dw.channels without expand)
  int64_t strip = 1;      // output rows per strip
  int64_t parts = 1;      // bands of output rows per image (one unit of work each)
  bool split_channels = false;  // all threads share each image (RunChannels)

  // a first layer (expand or stem) computes the depthwise input
  bool has_first() const { return first != First::kNone; }
};

// The same layers as plain loops, for CPUs without AVX-512.
inline float ApplyScalar(float v, const Act& act) {
  if (act.kind == 1) return v > 0.f ? v : 0.f;
  if (act.kind == 2) return v < act.alpha ? act.alpha : v > act.beta ? act.beta : v;
  if (act.kind == 4) return act.alpha * v + act.beta;
  return v;
}

inline void GemmPortable(const Pointwise& p, const float* a, int64_t m, int64_t lda,
                         const float* r, float* c, int64_t ldc, int64_t col, int64_t end) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t o = col; o < std::min(end, p.k); ++o) {
      const float* w = p.packed.data() + (o / kLanes) * p.c * kLanes + o % kLanes;
      float sum = p.bias[o];
      for (int64_t q = 0; q < p.c; ++q) sum += a[i * lda + q] * w[q * kLanes];
      if (r != nullptr) sum += r[i * ldc + o];
      c[i * ldc + o] = ApplyScalar(sum, p.act);
    }
  }
}

inline void DepthwiseRowPortable(const Depthwise& d, const float* const rows[3], float* out,
                                 int64_t c_begin, int64_t c_end) {
  for (int64_t x = 0; x < d.ow; ++x) {
    for (int64_t c = c_begin; c < c_end; ++c) {
      float sum = d.bias[c];
      for (int kh = 0; kh < 3; ++kh) {
        for (int kw = 0; kw < 3 && rows[kh] != nullptr; ++kw) {
          const int64_t ix = x * d.stride_w - d.pad_left + kw;
          if (ix < 0 || ix >= d.w) continue;
          sum += rows[kh][ix * d.channels + c] * d.taps[(kh * 3 + kw) * d.channels + c];
        }
      }
      out[x * d.channels + c] = ApplyScalar(sum, d.act);
    }
  }
}

inline void StemRowPortable(const Stem& s, const float* image, int64_t y, int64_t ow,
                            float* out) {
  for (int64_t x = 0; x < ow; ++x) {
    for (int64_t o = 0; o < s.channels; ++o) {
      float sum = s.bias[o];
      for (int64_t ci = 0; ci < s.c_in; ++ci) {
        for (int64_t i = 0; i < s.kh; ++i) {
          const int64_t iy = y * s.stride_h - s.pad_top + i;
          for (int64_t j = 0; j < s.kw && iy >= 0 && iy < s.in_h; ++j) {
            const int64_t ix = x * s.stride_w - s.pad_left + j;
            if (ix < 0 || ix >= s.in_w) continue;
            sum += image[(ci * s.in_h + iy) * s.in_w + ix] *
                   s.taps[((ci * s.kh + i) * s.kw + j) * s.channels + o];
          }
        }
      }
      out[x * s.channels + o] = ApplyScalar(sum, s.act);
    }
  }
}

// AVX-512 kernels when the CPU has them and PADDLEC_PORTABLE_KERNELS is not set to 1.
inline bool UseAvx512() {
  static const bool use = [] {
    const char* portable = std::getenv("PADDLEC_PORTABLE_KERNELS");
    return __builtin_cpu_supports("avx512f") && !(portable && std::strcmp(portable, "1") == 0);
  }();
  return use;
}

// Output channels [col, end) of a 1x1 layer (multiples of 16; end -1: all).
inline void Gemm(const Pointwise& p, const float* a, int64_t m, int64_t lda, const float* r,
                 float* c, int64_t ldc, int64_t col = 0, int64_t end = -1) {
  if (end < 0) end = p.blocks * kLanes;
  if (UseAvx512()) return GemmAvx512(p, a, m, lda, r, c, ldc, col, end);
  GemmPortable(p, a, m, lda, r, c, ldc, col, end);
}

inline void DepthwiseRow(const Depthwise& d, const float* const rows[3], float* out,
                         int64_t c_begin = 0, int64_t c_end = -1) {
  if (c_end < 0) c_end = d.channels;
  if (UseAvx512()) return DepthwiseRowAvx512(d, rows, out, c_begin, c_end);
  DepthwiseRowPortable(d, rows, out, c_begin, c_end);
}

inline void StemRow(const Stem& s, const float* image, int64_t y, int64_t ow, float* out) {
  if (UseAvx512()) return StemRowAvx512(s, image, y, ow, out);
  StemRowPortable(s, image, y, ow, out);
}

// Rows of input a strip of output rows [o0, o1) reads: [lo, hi), clipped to the image.
inline void InputRows(const Depthwise& d, int64_t o0, int64_t o1, int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, o0 * d.stride_h - d.pad_top);
  *hi = std::min<int64_t>(d.h, (o1 - 1) * d.stride_h - d.pad_top + 3);
}

// Per-thread buffers: expanded rows and depthwise output of one strip.
inline float* Buffer(int which, size_t floats) {
  thread_local std::vector<float> buffers[2];
  if (buffers[which].size() < floats) buffers[which].resize(floats);
  return buffers[which].data();
}

// One unit of work: image n, output rows [oa, ob). x: NHWC input; r: residual or null; y: out.
inline void RunBand(const Block& b, const float* x, const float* r, float* y, int64_t n,
                    int64_t oa, int64_t ob) {
  const Depthwise& d = b.dw;
  const int64_t ch = d.channels, row_floats = d.w * ch, k = b.project.k;
  // e is a ring of first-layer rows: input row iy lives in slot iy % slots, so the rows two
  // strips share stay where they are.
  const int64_t slots = (b.strip - 1) * d.stride_h + 3;
  float* e = b.has_first() ? Buffer(0, static_cast<size_t>(slots * row_floats)) : nullptr;
  float* dw_out = Buffer(1, static_cast<size_t>(b.strip * d.ow * ch));
  const float* image = b.first == First::kStem
                           ? x + n * b.stem.c_in * b.stem.in_h * b.stem.in_w
                           : x + n * d.h * d.w * b.c_in;
  int64_t e_lo = 0, e_hi = 0;  // input rows held in e
  for (int64_t o0 = oa; o0 < ob; o0 += b.strip) {
    const int64_t o1 = std::min(ob, o0 + b.strip);
    int64_t lo, hi;
    InputRows(d, o0, o1, &lo, &hi);
    if (b.has_first()) {
      int64_t row = lo >= e_lo && lo < e_hi ? e_hi : lo;  // first row not held yet
      while (row < hi) {  // contiguous runs of slots
        const int64_t slot = row % slots, count = std::min(hi - row, slots - slot);
        if (b.first == First::kExpand) {
          Gemm(b.expand, image + row * d.w * b.c_in, count * d.w, b.c_in, nullptr,
               e + slot * row_floats, ch);
        } else {
          for (int64_t i = 0; i < count; ++i) {
            StemRow(b.stem, image, row + i, d.w, e + (slot + i) * row_floats);
          }
        }
        row += count;
      }
      e_lo = lo;
      e_hi = hi;
    }
    for (int64_t o = o0; o < o1; ++o) {
      const float* rows[3];
      for (int kh = 0; kh < 3; ++kh) {
        const int64_t iy = o * d.stride_h - d.pad_top + kh;
        rows[kh] = iy < 0 || iy >= d.h ? nullptr
                   : b.has_first()     ? e + (iy % slots) * row_floats
                                       : image + iy * row_floats;
      }
      DepthwiseRow(d, rows, dw_out + (o - o0) * d.ow * ch);
    }
    const int64_t at = (n * d.oh + o0) * d.ow * k;
    Gemm(b.project, dw_out, (o1 - o0) * d.ow, ch, r ? r + at : nullptr, y + at, k);
  }
}

// One image by all threads of the enclosing parallel region, for images with too few rows to
// split evenly into bands (7 rows over 2 threads: 4 and 3, each reading all the weights):
// each thread runs the first and depthwise layers on its share of the channels into the
// shared e and d_out, then, after a barrier, its share of the project layer's channels.
inline void RunChannels(const Block& b, const float* x, const float* r, float* y, int64_t n,
                        float* e, float* d_out) {
  const Depthwise& d = b.dw;
  const int64_t ch = d.channels, k = b.project.k, pixels = d.oh * d.ow;
  const int64_t thread = omp_get_thread_num(), threads = omp_get_num_threads();
  auto share = [&](int64_t blocks, int64_t part) { return blocks * part / threads * kLanes; };
  const int64_t c_begin = share(ch / kLanes, thread), c_end = share(ch / kLanes, thread + 1);
  const float* image = x + n * d.h * d.w * b.c_in;
  if (b.first == First::kExpand && c_end > c_begin) {
    Gemm(b.expand, image, d.h * d.w, b.c_in, nullptr, e, ch, c_begin, c_end);
  }
  const float* source = b.first == First::kExpand ? e : image;
  for (int64_t o = 0; o < d.oh && c_end > c_begin; ++o) {
    const float* rows[3];
    for (int kh = 0; kh < 3; ++kh) {
      const int64_t iy = o * d.stride_h - d.pad_top + kh;
      rows[kh] = iy < 0 || iy >= d.h ? nullptr : source + iy * d.w * ch;
    }
    DepthwiseRow(d, rows, d_out + o * d.ow * ch, c_begin, c_end);
  }
#pragma omp barrier
  const int64_t k_begin = share(b.project.blocks, thread);
  const int64_t k_end = share(b.project.blocks, thread + 1);
  const int64_t at = n * pixels * k;
  if (k_end > k_begin) {
    Gemm(b.project, d_out, pixels, ch, r ? r + at : nullptr, y + at, k, k_begin, k_end);
  }
#pragma omp barrier
}

}  // namespace inverted_residual
}  // namespace
