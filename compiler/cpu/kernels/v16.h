// 16 float32 lanes as one value (a GCC vector extension): one AVX-512 register, or several
// narrower ones in the kernels' portable clones. Code written with it is vector code whatever
// the optimizer's cost model says (at -O2, GCC 12 leaves some per-lane loops scalar).
#pragma once

#include <cstring>

namespace v16 {

typedef float V16 __attribute__((vector_size(64)));

inline __attribute__((always_inline)) V16 Load(const float* p) {
  V16 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline __attribute__((always_inline)) void Store(float* p, V16 v) {
  std::memcpy(p, &v, sizeof(v));
}

}  // namespace v16
