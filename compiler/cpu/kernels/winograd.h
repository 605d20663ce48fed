// Winograd F(4x4, 3x3) convolution transforms for NHWC / nChw16c float32 (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016), used by dnnl_kernels.cc.
//
// A 3x3, stride-1 convolution computes each 4x4 output tile from a 6x6 input tile with 36
// multiplications per (input channel, output channel) pair instead of 144:
//   Y = A^T [ sum_c (G g G^T) ⊙ (B^T d B) ] A.
// The sum over channels is 36 independent GEMMs [tiles x C] x [C x K], which oneDNN's batched
// matmul runs; this file holds the transforms around them. Channels are the innermost
// dimension (NHWC, or nChw16c's blocks of 16), so every transform works on 16 channels at a
// time as plain vector lanes.
//
// Numerics: F(4,3) rounds more than a direct convolution (the transform constants reach 8 and
// 1/24); measured on ResNet layers, the largest difference from oneDNN's direct convolution
// is ~1.5e-5 of the output's largest magnitude. The weight transform runs in double precision.
#pragma once


#include <cstddef>
#include <cstdint>
#include <cstring>

#include "v16.h"

namespace {
namespace winograd {

// F(4,3) by default; F(2,3) (4x4 input tiles, 16 points) where the layer has few tiles: its
// transformed weights are 16/36 the size, and a small layer's 36 GEMMs wait on weights.
constexpr int kTile = 4;   // output tile side
constexpr int kAlpha = 6;  // input tile side: kTile + 3 - 1
constexpr int kPoints = kAlpha * kAlpha;
constexpr int kSmallTile = 2;
constexpr int kLanes = 16;  // channels per vector step; C and K must be multiples of it

// Shapes of one Winograd convolution (stride 1, dilation 1, groups 1, 3x3 kernel).
struct Plan {
  int64_t n, h, w, c;      // input
  int64_t oh, ow, k;       // output
  int64_t pad_top, pad_left;
  int64_t tiles_h, tiles_w, tiles;
  bool blocked;            // input and output are nChw16c instead of NHWC
  int tile, alpha, points;  // output tile side (4 or 2), input tile side, alpha^2
};

inline Plan MakePlan(int64_t n, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow,
                     int64_t k, int64_t pad_top, int64_t pad_left, bool blocked,
                     int tile = kTile) {
  Plan p{n, h, w, c, oh, ow, k, pad_top, pad_left, 0, 0, 0, blocked, tile, tile + 2,
         (tile + 2) * (tile + 2)};
  p.tiles_h = (oh + tile - 1) / tile;
  p.tiles_w = (ow + tile - 1) / tile;
  p.tiles = n * p.tiles_h * p.tiles_w;
  return p;
}

// Post-ops fused into the output transform, in the order a direct convolution applies them:
// bias, residual add, activation (0 none, 1 relu, 2 clip(alpha, beta), 4 alpha * x + beta).
struct Epilogue {
  const float* bias;      // [K] or null
  const float* residual;  // laid out as the output, or null
  int64_t act;
  float alpha, beta;
};

// U[point][c][k] = (G g G^T)[point] for OIHW weights g [K][C][3][3], output tile `tile`.
inline void TransformWeights(const float* oihw, int64_t c_in, int64_t k_out, float* u,
                             int tile = kTile) {
  static const double g4[kAlpha][3] = {{1. / 4, 0, 0},          {-1. / 6, -1. / 6, -1. / 6},
                                       {-1. / 6, 1. / 6, -1. / 6}, {1. / 24, 1. / 12, 1. / 6},
                                       {1. / 24, -1. / 12, 1. / 6}, {0, 0, 1}};
  static const double g2[kAlpha][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
  const auto& g_mat = tile == kTile ? g4 : g2;
  const int alpha = tile + 2;
  for (int64_t k = 0; k < k_out; ++k) {
    for (int64_t c = 0; c < c_in; ++c) {
      const float* g = oihw + (k * c_in + c) * 9;
      double half[kAlpha][3];
      for (int i = 0; i < alpha; ++i) {
        for (int j = 0; j < 3; ++j) {
          double s = 0;
          for (int q = 0; q < 3; ++q) s += g_mat[i][q] * g[q * 3 + j];
          half[i][j] = s;
        }
      }
      for (int i = 0; i < alpha; ++i) {
        for (int j = 0; j < alpha; ++j) {
          double s = 0;
          for (int q = 0; q < 3; ++q) s += half[i][q] * g_mat[j][q];
          u[((i * alpha + j) * c_in + c) * k_out + k] = static_cast<float>(s);
        }
      }
    }
  }
}

// Offset of channels c0 .. c0 + 15 (c0 a multiple of kLanes, contiguous in both layouts) of
// pixel (n, y, x) of an h x w feature map with `channels` channels.
inline int64_t PixelOffset(bool blocked, int64_t n, int64_t y, int64_t x, int64_t c0, int64_t h,
                           int64_t w, int64_t channels) {
  return blocked ? (((n * channels + c0) / kLanes * h + y) * w + x) * kLanes
                 : ((n * h + y) * w + x) * channels + c0;
}

using v16::Load;
using v16::Store;
using v16::V16;

// r = B^T d along one axis: d[i * stride + lane], i < 6.
static inline __attribute__((always_inline)) void InputAxis(const float* d, float* r,
                                                            int stride) {
  const V16 d0 = Load(d), d1 = Load(d + stride), d2 = Load(d + 2 * stride);
  const V16 d3 = Load(d + 3 * stride), d4 = Load(d + 4 * stride), d5 = Load(d + 5 * stride);
  Store(r, 4 * d0 - 5 * d2 + d4);
  Store(r + stride, -4 * (d1 + d2) + d3 + d4);
  Store(r + 2 * stride, 4 * (d1 - d2) - d3 + d4);
  Store(r + 3 * stride, 2 * (d3 - d1) - d2 + d4);
  Store(r + 4 * stride, 2 * (d1 - d3) - d2 + d4);
  Store(r + 5 * stride, 4 * d1 - 5 * d3 + d5);
}

// F(2,3): r = B^T d along one axis, i < 4.
static inline __attribute__((always_inline)) void InputAxis2(const float* d, float* r,
                                                             int stride) {
  const V16 d0 = Load(d), d1 = Load(d + stride), d2 = Load(d + 2 * stride);
  const V16 d3 = Load(d + 3 * stride);
  Store(r, d0 - d2);
  Store(r + stride, d1 + d2);
  Store(r + 2 * stride, d2 - d1);
  Store(r + 3 * stride, d1 - d3);
}

// F(2,3): o = A^T m along one axis, m: i < 4 -> o: i < 2.
static inline __attribute__((always_inline)) void OutputAxis2(const float* m, float* o,
                                                              int in_stride, int out_stride) {
  const V16 m0 = Load(m), m1 = Load(m + in_stride), m2 = Load(m + 2 * in_stride);
  const V16 m3 = Load(m + 3 * in_stride);
  Store(o, m0 + m1 + m2);
  Store(o + out_stride, m1 - m2 - m3);
}

// o = A^T m along one axis: m[i * in_stride + lane], i < 6 -> o[i * out_stride + lane], i < 4.
static inline __attribute__((always_inline)) void OutputAxis(const float* m, float* o,
                                                             int in_stride, int out_stride) {
  const V16 m0 = Load(m), m1 = Load(m + in_stride), m2 = Load(m + 2 * in_stride);
  const V16 m3 = Load(m + 3 * in_stride), m4 = Load(m + 4 * in_stride);
  const V16 m5 = Load(m + 5 * in_stride);
  const V16 a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;
  Store(o, m0 + a + c);
  Store(o + out_stride, b + 2 * e);
  Store(o + 2 * out_stride, a + 4 * c);
  Store(o + 3 * out_stride, b + 8 * e + m5);
}

// V[point][row][c] = B^T d B for channels [c_begin, c_end) of one tile (zero padding outside
// the input); `rows` is V's row count: all tiles of the layer, or one block of them.
__attribute__((target_clones("avx512f", "avx2", "default")))
void InputTile(const float* x, const Plan& p, int64_t tile, float* v, int64_t row,
               int64_t rows, int64_t c_begin, int64_t c_end) {
  const int64_t per_image = p.tiles_h * p.tiles_w;
  const int64_t n = tile / per_image, r = tile % per_image;
  const int alpha = p.alpha;
  const int64_t y0 = (r / p.tiles_w) * p.tile - p.pad_top;
  const int64_t x0 = (r % p.tiles_w) * p.tile - p.pad_left;
  alignas(64) float d[kPoints * kLanes], t[kPoints * kLanes], out[kPoints * kLanes];
  for (int64_t c0 = c_begin; c0 < c_end; c0 += kLanes) {
    for (int i = 0; i < alpha; ++i) {
      for (int j = 0; j < alpha; ++j) {
        const int64_t iy = y0 + i, ix = x0 + j;
        float* dst = d + (i * alpha + j) * kLanes;
        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) {
          std::memset(dst, 0, sizeof(float) * kLanes);
        } else {
          std::memcpy(dst, x + PixelOffset(p.blocked, n, iy, ix, c0, p.h, p.w, p.c),
                      sizeof(float) * kLanes);
        }
      }
    }
    if (p.tile == kTile) {
      for (int j = 0; j < kAlpha; ++j) InputAxis(d + j * kLanes, t + j * kLanes, kAlpha * kLanes);
      for (int i = 0; i < kAlpha; ++i) {
        InputAxis(t + i * kAlpha * kLanes, out + i * kAlpha * kLanes, kLanes);
      }
    } else {
      for (int j = 0; j < alpha; ++j) InputAxis2(d + j * kLanes, t + j * kLanes, alpha * kLanes);
      for (int i = 0; i < alpha; ++i) {
        InputAxis2(t + i * alpha * kLanes, out + i * alpha * kLanes, kLanes);
      }
    }
    for (int q = 0; q < p.points; ++q) {
      std::memcpy(v + (q * rows + row) * p.c + c0, out + q * kLanes, sizeof(float) * kLanes);
    }
  }
}

// y = A^T M A for output channels [k_begin, k_end) of one tile (row `row` of M's `rows`),
// then the epilogue; rows and columns past the output's edge are dropped.
__attribute__((target_clones("avx512f", "avx2", "default")))
void OutputTile(const float* m, const Plan& p, int64_t tile, int64_t row, int64_t rows,
                const Epilogue& ep, float* y, int64_t k_begin, int64_t k_end) {
  const int64_t per_image = p.tiles_h * p.tiles_w;
  const int64_t n = tile / per_image, r = tile % per_image;
  const int side = p.tile, alpha = p.alpha;
  const int64_t y0 = (r / p.tiles_w) * side, x0 = (r % p.tiles_w) * side;
  alignas(64) float gathered[kPoints * kLanes], half[kTile * kAlpha * kLanes];
  alignas(64) float out[kTile * kTile * kLanes];
  for (int64_t k0 = k_begin; k0 < k_end; k0 += kLanes) {
    for (int q = 0; q < p.points; ++q) {
      std::memcpy(gathered + q * kLanes, m + (q * rows + row) * p.k + k0,
                  sizeof(float) * kLanes);
    }
    if (side == kTile) {
      for (int j = 0; j < kAlpha; ++j) {
        OutputAxis(gathered + j * kLanes, half + j * kLanes, kAlpha * kLanes, kAlpha * kLanes);
      }
      for (int i = 0; i < kTile; ++i) {
        OutputAxis(half + i * kAlpha * kLanes, out + i * kTile * kLanes, kLanes, kLanes);
      }
    } else {
      for (int j = 0; j < alpha; ++j) {
        OutputAxis2(gathered + j * kLanes, half + j * kLanes, alpha * kLanes, alpha * kLanes);
      }
      for (int i = 0; i < side; ++i) {
        OutputAxis2(half + i * alpha * kLanes, out + i * side * kLanes, kLanes, kLanes);
      }
    }
    for (int i = 0; i < side && y0 + i < p.oh; ++i) {
      for (int j = 0; j < side && x0 + j < p.ow; ++j) {
        const int64_t at = PixelOffset(p.blocked, n, y0 + i, x0 + j, k0, p.oh, p.ow, p.k);
        float* value = out + (i * side + j) * kLanes;
        // one branch per 16 lanes, each loop a single vector operation
        if (ep.bias != nullptr) {
          for (int l = 0; l < kLanes; ++l) value[l] += ep.bias[k0 + l];
        }
        if (ep.residual != nullptr) {
          for (int l = 0; l < kLanes; ++l) value[l] += ep.residual[at + l];
        }
        if (ep.act == 1) {
          for (int l = 0; l < kLanes; ++l) value[l] = value[l] > 0.f ? value[l] : 0.f;
        } else if (ep.act == 2) {
          for (int l = 0; l < kLanes; ++l) {
            value[l] = value[l] < ep.alpha ? ep.alpha : value[l] > ep.beta ? ep.beta : value[l];
          }
        } else if (ep.act == 4) {
          for (int l = 0; l < kLanes; ++l) value[l] = ep.alpha * value[l] + ep.beta;
        }
        std::memcpy(y + at, value, sizeof(float) * kLanes);
      }
    }
  }
}

// Tiles [first, first + count) into rows [row, row + count) of V, channels [c_begin, c_end)
// (multiples of kLanes). On blocked data the channel blocks are the outer loop, so each
// block's plane is read row after row (tile by tile it would hop between C / 16 planes); NHWC
// pixels already hold all channels together.
inline void InputTiles(const float* x, const Plan& p, int64_t first, int64_t count, float* v,
                       int64_t row, int64_t rows, int64_t c_begin, int64_t c_end) {
  if (!p.blocked) {
    for (int64_t i = 0; i < count; ++i) {
      InputTile(x, p, first + i, v, row + i, rows, c_begin, c_end);
    }
    return;
  }
  for (int64_t c0 = c_begin; c0 < c_end; c0 += kLanes) {
    for (int64_t i = 0; i < count; ++i) {
      InputTile(x, p, first + i, v, row + i, rows, c0, c0 + kLanes);
    }
  }
}

// The output transform of tiles [first, first + count) from rows [row, row + count) of M,
// output channels [k_begin, k_end), in the order InputTiles reads.
inline void OutputTiles(const float* m, const Plan& p, int64_t first, int64_t count,
                        int64_t row, int64_t rows, const Epilogue& ep, float* y,
                        int64_t k_begin, int64_t k_end) {
  if (!p.blocked) {
    for (int64_t i = 0; i < count; ++i) {
      OutputTile(m, p, first + i, row + i, rows, ep, y, k_begin, k_end);
    }
    return;
  }
  for (int64_t k0 = k_begin; k0 < k_end; k0 += kLanes) {
    for (int64_t i = 0; i < count; ++i) {
      OutputTile(m, p, first + i, row + i, rows, ep, y, k0, k0 + kLanes);
    }
  }
}

}  // namespace winograd
}  // namespace
