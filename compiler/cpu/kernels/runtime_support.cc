// Functions that TVM's CPU kernels call by name but that only TVM's compiler library
// registers: the sorts behind TopK, argsort and NonMaxSuppression (topi's
// `tvm.contrib.sort.*` externs). A service loads model.so with TVM's runtime library alone,
// so every llvm artifact carries its own copies. The kernels look these names up in the
// global registry (TVMBackendGetFuncFromEnv searches the library's imports, then the
// registry, not the library itself), so the library registers them when it is loaded,
// unless the process already has them (an earlier artifact). They are registered as
// paddlec.contrib.sort.* (compiler/cpu/rename_sort_externs.py renames the kernels' calls):
// under TVM's names, a process that loads TVM's compiler library afterwards would abort on
// its duplicate registration.
//
// Semantics are those of TVM's src/runtime/extra/contrib/sort/sort.cc: sort and argsort are
// stable; topk keeps the k first in order, ties broken by the lower index; argsort_nms sorts
// the first sort_num[i] elements of each row and leaves the rest at their own index.
#include <dlfcn.h>
#include <dlpack/dlpack.h>
#include <tvm/ffi/c_api.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace paddlec_support {

using tvm::ffi::AnyView;
using tvm::ffi::PackedArgs;

// float16 keys compare as float32 (the bit pattern widened exactly).
struct Half {
  uint16_t bits;
  float value() const {
    uint32_t sign = (bits & 0x8000u) << 16, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
    uint32_t out;
    if (exponent == 0x1f) {
      out = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
      out = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
      out = sign;
    } else {  // subnormal: normalize
      int shift = 0;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        ++shift;
      }
      out = sign | ((113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
    }
    float f;
    std::memcpy(&f, &out, sizeof(f));
    return f;
  }
  bool operator<(const Half& o) const { return value() < o.value(); }
  bool operator>(const Half& o) const { return value() > o.value(); }
  bool operator==(const Half& o) const { return value() == o.value(); }
};

// A row of the sorted axis: `count` elements `stride` apart, starting at `base`.
struct Rows {
  int64_t before = 1, length = 1, after = 1;
  explicit Rows(const DLTensor* t, int axis) {
    length = t->shape[axis];
    for (int i = 0; i < t->ndim; ++i) {
      if (i < axis) before *= t->shape[i];
      if (i > axis) after *= t->shape[i];
    }
  }
};

int NormalizeAxis(const DLTensor* t, int axis) {
  if (axis < 0) axis += t->ndim;
  if (axis < 0 || axis >= t->ndim) {
    TVM_FFI_THROW(ValueError) << "sort: axis out of range for a " << t->ndim << "-d tensor";
  }
  return axis;
}

template <typename Key>
bool Before(const std::pair<int64_t, Key>& a, const std::pair<int64_t, Key>& b, bool ascend,
            bool ties_by_index) {
  if (ties_by_index && a.second == b.second) return a.first < b.first;
  return ascend ? a.second < b.second : a.second > b.second;
}

template <typename Key>
void SortedRow(const Key* data, int64_t base, int64_t count, int64_t stride, bool ascend,
               std::vector<std::pair<int64_t, Key>>* row) {
  row->clear();
  for (int64_t k = 0; k < count; ++k) row->emplace_back(k, data[base + k * stride]);
  std::stable_sort(row->begin(), row->end(), [ascend](const auto& a, const auto& b) {
    return Before(a, b, ascend, false);
  });
}

// out[k] = index (argsort: kIndices) or key (sort) of the k-th element of each sorted row
template <typename Key, typename Out, bool kIndices>
void SortAlong(const DLTensor* input, DLTensor* output, int axis, bool ascend) {
  const Key* data = static_cast<const Key*>(input->data);
  Out* out = static_cast<Out*>(output->data);
  Rows rows(input, axis);
  std::vector<std::pair<int64_t, Key>> row;
  for (int64_t i = 0; i < rows.before; ++i) {
    for (int64_t j = 0; j < rows.after; ++j) {
      int64_t base = i * rows.length * rows.after + j;
      SortedRow(data, base, rows.length, rows.after, ascend, &row);
      for (int64_t k = 0; k < rows.length; ++k) {
        if constexpr (kIndices) {
          out[base + k * rows.after] = static_cast<Out>(row[k].first);
        } else {
          out[base + k * rows.after] = row[k].second;
        }
      }
    }
  }
}

template <typename Key, typename Index>
void TopK(const DLTensor* input, DLTensor* values, DLTensor* indices, int k, int axis,
          bool ascend) {
  const Key* data = static_cast<const Key*>(input->data);
  Rows rows(input, axis);
  if (k < 1 || k > rows.length) k = static_cast<int>(rows.length);
  std::vector<std::pair<int64_t, Key>> row;
  for (int64_t i = 0; i < rows.before; ++i) {
    for (int64_t j = 0; j < rows.after; ++j) {
      int64_t src = i * rows.length * rows.after + j, dst = i * k * rows.after + j;
      row.clear();
      for (int64_t e = 0; e < rows.length; ++e) row.emplace_back(e, data[src + e * rows.after]);
      std::partial_sort(row.begin(), row.begin() + k, row.end(),
                        [ascend](const auto& a, const auto& b) { return Before(a, b, ascend, true); });
      for (int kk = 0; kk < k; ++kk) {
        if (indices != nullptr) {
          static_cast<Index*>(indices->data)[dst + kk * rows.after] =
              static_cast<Index>(row[kk].first);
        }
        if (values != nullptr) static_cast<Key*>(values->data)[dst + kk * rows.after] = row[kk].second;
      }
    }
  }
}

// Calls `f(Key{})` with the C++ type of a key dtype.
template <typename F>
void WithKeyType(DLDataType t, const char* what, F&& f) {
  if (t.lanes != 1) TVM_FFI_THROW(TypeError) << what << ": vector dtypes are not supported";
  switch (t.code) {
    case kDLFloat:
      if (t.bits == 16) return f(Half{});
      if (t.bits == 32) return f(float{});
      if (t.bits == 64) return f(double{});
      break;
    case kDLInt:
      if (t.bits == 8) return f(int8_t{});
      if (t.bits == 16) return f(int16_t{});
      if (t.bits == 32) return f(int32_t{});
      if (t.bits == 64) return f(int64_t{});
      break;
    case kDLUInt:
      if (t.bits == 8) return f(uint8_t{});
      if (t.bits == 16) return f(uint16_t{});
      if (t.bits == 32) return f(uint32_t{});
      if (t.bits == 64) return f(uint64_t{});
      break;
  }
  TVM_FFI_THROW(TypeError) << what << ": unsupported dtype " << tvm::ffi::DLDataTypeToString(t);
}

// Calls `f(Index{})` with the C++ type of an index output dtype.
template <typename F>
void WithIndexType(DLDataType t, const char* what, F&& f) {
  if (t.code == kDLInt && t.bits == 32) return f(int32_t{});
  if (t.code == kDLInt && t.bits == 64) return f(int64_t{});
  if (t.code == kDLFloat && t.bits == 32) return f(float{});
  if (t.code == kDLFloat && t.bits == 64) return f(double{});
  TVM_FFI_THROW(TypeError) << what << ": unsupported index dtype "
                           << tvm::ffi::DLDataTypeToString(t);
}

void Sort(PackedArgs args, bool indices) {
  auto* input = args[0].cast<DLTensor*>();
  auto* output = args[1].cast<DLTensor*>();
  int axis = NormalizeAxis(input, args[2].cast<int>());
  bool ascend = args[3].cast<bool>();
  const char* what = indices ? "paddlec.contrib.sort.argsort" : "paddlec.contrib.sort.sort";
  WithKeyType(input->dtype, what, [&](auto key) {
    using Key = decltype(key);
    if (!indices) return SortAlong<Key, Key, false>(input, output, axis, ascend);
    WithIndexType(output->dtype, what, [&](auto index) {
      SortAlong<Key, decltype(index), true>(input, output, axis, ascend);
    });
  });
}

void TopKPacked(PackedArgs args) {
  auto* input = args[0].cast<DLTensor*>();
  int n = args.size();
  int k = args[n - 4].cast<int>();
  int axis = NormalizeAxis(input, args[n - 3].cast<int>());
  std::string returns = args[n - 2].cast<std::string>();
  bool ascend = args[n - 1].cast<bool>();
  DLTensor* values = returns == "indices" ? nullptr : args[1].cast<DLTensor*>();
  DLTensor* indices = returns == "values" ? nullptr
                      : args[returns == "both" ? 2 : 1].cast<DLTensor*>();
  if (returns != "both" && returns != "values" && returns != "indices") {
    TVM_FFI_THROW(ValueError) << "paddlec.contrib.sort.topk: unknown ret_type " << returns;
  }
  WithKeyType(input->dtype, "paddlec.contrib.sort.topk", [&](auto key) {
    using Key = decltype(key);
    if (indices == nullptr) return TopK<Key, int64_t>(input, values, nullptr, k, axis, ascend);
    WithIndexType(indices->dtype, "paddlec.contrib.sort.topk", [&](auto index) {
      TopK<Key, decltype(index)>(input, values, indices, k, axis, ascend);
    });
  });
}

void ArgsortNms(PackedArgs args) {
  auto* input = args[0].cast<DLTensor*>();
  auto* sort_num = args[1].cast<DLTensor*>();
  auto* output = args[2].cast<DLTensor*>();
  int axis = NormalizeAxis(input, args[3].cast<int>());
  bool ascend = args[4].cast<bool>();
  if (input->dtype.code != kDLFloat || input->dtype.bits != 32) {
    TVM_FFI_THROW(TypeError) << "paddlec.contrib.sort.argsort_nms: only float32 scores";
  }
  const float* data = static_cast<const float*>(input->data);
  const int32_t* counts = static_cast<const int32_t*>(sort_num->data);
  int32_t* out = static_cast<int32_t*>(output->data);
  Rows rows(input, axis);
  std::vector<std::pair<int64_t, float>> row;
  for (int64_t i = 0; i < rows.before; ++i) {
    for (int64_t j = 0; j < rows.after; ++j) {
      int64_t base = i * rows.length * rows.after + j;
      int64_t count = std::min<int64_t>(std::max<int32_t>(counts[i * rows.after + j], 0),
                                        rows.length);
      SortedRow(data, base, count, rows.after, ascend, &row);
      for (int64_t k = 0; k < rows.length; ++k) {
        out[base + k * rows.after] = static_cast<int32_t>(k < count ? row[k].first : k);
      }
    }
  }
}

void SortValues(PackedArgs args, tvm::ffi::Any*) { Sort(args, false); }
void SortIndices(PackedArgs args, tvm::ffi::Any*) { Sort(args, true); }
void TopKFunction(PackedArgs args, tvm::ffi::Any*) { TopKPacked(args); }
void ArgsortNmsFunction(PackedArgs args, tvm::ffi::Any*) { ArgsortNms(args); }

// Registers each function under its TVM name unless the process has one already (TVM's
// compiler library does), then keeps this library loaded: the registry now points into it.
struct RegisterOnLoad {
  RegisterOnLoad() {
    const std::pair<const char*, void (*)(PackedArgs, tvm::ffi::Any*)> functions[] = {
        {"paddlec.contrib.sort.sort", SortValues},
        {"paddlec.contrib.sort.argsort", SortIndices},
        {"paddlec.contrib.sort.topk", TopKFunction},
        {"paddlec.contrib.sort.argsort_nms", ArgsortNmsFunction},
    };
    bool registered = false;
    for (const auto& [name, impl] : functions) {
      if (tvm::ffi::Function::GetGlobal(name).has_value()) continue;
      tvm::ffi::Function function = tvm::ffi::Function::FromPacked(impl);
      TVMFFIByteArray bytes{name, std::strlen(name)};
      void* handle = const_cast<tvm::ffi::FunctionObj*>(function.get());
      if (TVMFFIFunctionSetGlobal(&bytes, handle, 0) == 0) registered = true;
    }
    Dl_info self;
    if (registered && dladdr(reinterpret_cast<void*>(&SortValues), &self) != 0) {
      dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
  }
};
const RegisterOnLoad register_on_load;

}  // namespace paddlec_support

#if defined(__FLT16_MAX__)
// float64 -> float16, which TVM's generated code calls as __truncdfhf2 (result in xmm0, the
// GCC 12+ / current psABI convention). Defined here, hidden, so that model.so's own
// references bind to it at link time: otherwise they bind at load time to the first
// __truncdfhf2 in the process, and TVM's runtime library exports one with the older
// convention (result in an integer register), which made every such cast return 0.
// Rounds to nearest even once, as the ONNX reference (numpy) does.
extern "C" __attribute__((visibility("hidden"))) _Float16 __truncdfhf2(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint16_t sign = static_cast<uint16_t>((bits >> 48) & 0x8000);
  uint64_t magnitude = bits & 0x7FFFFFFFFFFFFFFFull;
  uint16_t half;
  if (magnitude > 0x7FF0000000000000ull) {  // NaN: quiet, top payload bits kept
    half = static_cast<uint16_t>(0x7E00 | ((magnitude >> 42) & 0x1FF));
  } else if (magnitude >= (static_cast<uint64_t>(1023 - 14) << 52)) {  // a normal half
    uint64_t rounded = (magnitude + ((uint64_t{1} << 41) - 1) + ((magnitude >> 42) & 1)) >> 42;
    uint64_t biased = rounded - (static_cast<uint64_t>(1023 - 15) << 10);
    half = biased >= 0x7C00 ? 0x7C00 : static_cast<uint16_t>(biased);  // overflow: Inf
  } else {  // subnormal (or zero): the count of 2^-24 steps, rounded to nearest even
    double magnitude_value;
    std::memcpy(&magnitude_value, &magnitude, sizeof(magnitude_value));
    half = static_cast<uint16_t>(std::nearbyint(magnitude_value * 16777216.0));
  }
  half = static_cast<uint16_t>(half | sign);
  _Float16 result;
  std::memcpy(&result, &half, sizeof(result));
  return result;
}
#endif
