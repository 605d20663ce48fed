// paddlec CPU fast path: oneDNN kernels linked into model.so.
//
// Every function is exported with TVM_FFI_DLL_EXPORT_TYPED_FUNC, so the Relax VM finds it in
// the artifact's own library (its imports are searched before the global registry) when the
// compiled program calls `R.call_dps_packed("paddlec_dnnl_...", args, out_ty)`. The last
// argument is the destination tensor. Integer attributes travel in one `R.shape([...])`.
//
// oneDNN primitives are created once per (call site, input shape) and cached; constant
// weights are reordered into the layout the primitive prefers once and cached too. The cache
// key holds the weight's data pointer, and a fingerprint of sampled weight values guards
// against a pointer reused by another model after an unload.
#include <dlpack/dlpack.h>
#include <omp.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/function.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"
#include "huge_pages.h"
#include "inverted_residual.h"
#include "openmp_launch.h"
#include "winograd.h"

namespace {

namespace ffi = tvm::ffi;

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

std::atomic<int> g_num_threads{0};

// OpenMP's thread count is a per-thread setting: apply the configured one on the calling thread.
void ApplyThreads() {
  thread_local int applied = -1;
  int want = g_num_threads.load(std::memory_order_relaxed);
  if (want > 0 && want != applied) {
    omp_set_num_threads(want);
    applied = want;
  }
}

float* DataOf(DLTensor* t) {
  return reinterpret_cast<float*>(static_cast<char*>(t->data) + t->byte_offset);
}

memory::dims DimsOf(DLTensor* t) { return memory::dims(t->shape, t->shape + t->ndim); }

// Feature maps are NHWC (4-D [N, H, W, C]) or oneDNN's blocked nChw16c (5-D
// [N, C/16, H, W, 16], see block_layouts.py); descriptors list dims as N, C, H, W.
constexpr int64_t kChannelBlock = 16;

bool IsBlocked(const DLTensor* t) { return t->ndim == 5; }

bool IsFeatureMap(const DLTensor* t) {
  return t->ndim == 4 || (t->ndim == 5 && t->shape[4] == kChannelBlock);
}

memory::dims NchwOf(const DLTensor* t) {
  const int64_t* s = t->shape;
  return IsBlocked(t) ? memory::dims{s[0], s[1] * s[4], s[2], s[3]}
                      : memory::dims{s[0], s[3], s[1], s[2]};
}

memory::desc FeatureMapDesc(const DLTensor* t) {
  return memory::desc(NchwOf(t), dt::f32, IsBlocked(t) ? tag::nChw16c : tag::nhwc);
}

void CheckF32(DLTensor* t, const char* what) {
  if (t->dtype.code != kDLFloat || t->dtype.bits != 32 || t->dtype.lanes != 1) {
    TVM_FFI_THROW(TypeError) << "paddlec oneDNN kernel: " << what << " must be float32";
  }
}

float FloatOfBits(int64_t bits) {
  uint32_t raw = static_cast<uint32_t>(bits);
  float value;
  std::memcpy(&value, &raw, sizeof(value));
  return value;
}

// A few weight values spread over the tensor: tells a cached entry's weights from another
// tensor that reuses the same address after a model is freed.
constexpr int kSamples = 16;
using Fingerprint = std::array<float, kSamples>;

Fingerprint FingerprintOf(DLTensor* weight) {
  int64_t count = 1;
  for (int i = 0; i < weight->ndim; ++i) count *= weight->shape[i];
  const float* data = DataOf(weight);
  Fingerprint sample{};
  for (int64_t i = 0; i < kSamples && i < count; ++i) sample[i] = data[(i * count) / kSamples];
  return sample;
}

// One primitive with the memory descriptors of its execution arguments, in the order the
// caller passes the data pointers to Run().
struct Entry {
  uint64_t id = 0;  // unique: keys the per-thread memory objects
  dnnl::primitive primitive;
  std::vector<int> arg_ids;
  std::vector<memory::desc> arg_mds;
  memory::desc src_md, weights_md, dst_md, bias_md, residual_md;  // used while building
  memory packed_weights;  // reordered constant weights (empty when used as given)
  std::shared_ptr<void> packed_storage;  // the buffer under packed_weights
  memory::desc scratchpad_md;  // user-managed: one buffer per calling thread (thread safety)
  Fingerprint fingerprint{};
  bool reorder_weights = false;
  bool is_winograd = false;  // a batched matmul between Winograd transforms (see winograd.h)
  winograd::Plan plan{};
  int64_t block_rows = 0;  // Winograd in blocks of this many tiles per thread (0: whole layer)
  std::shared_ptr<inverted_residual::Block> block;  // a fused inverted residual block
  std::shared_ptr<inverted_residual::Pointwise> pointwise;  // a 1x1 layer for PointwiseMean

  void Arg(int id, const memory::desc& md) {
    arg_ids.push_back(id);
    arg_mds.push_back(md);
  }
};

std::atomic<uint64_t> g_next_id{1};
std::mutex g_mutex;
std::unordered_map<std::string, std::shared_ptr<Entry>> g_cache;

template <typename Create>
std::shared_ptr<Entry> Cached(const std::string& key, DLTensor* weight, Create create) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_cache.find(key);
  if (it != g_cache.end()) {
    if (weight == nullptr || it->second->fingerprint == FingerprintOf(weight)) return it->second;
    g_cache.erase(it);
  }
  std::shared_ptr<Entry> entry = create();
  entry->id = g_next_id.fetch_add(1);
  g_cache[key] = entry;
  return entry;
}

// The cache key as raw bytes (op, thread count, weight address, attributes, shapes) in a
// reused per-thread buffer: a call allocates nothing once warm. The thread count is part of
// it because a oneDNN primitive splits its work for the thread count it was created with and
// runs that many threads whatever the caller asks later.
const std::string& KeyOf(char op, const ffi::Shape& attrs, std::initializer_list<DLTensor*> ts,
                         DLTensor* weight) {
  thread_local std::string key;
  auto put = [](int64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  key.assign(1, op);
  put(omp_get_max_threads());
  put(reinterpret_cast<int64_t>(weight ? DataOf(weight) : nullptr));
  put(static_cast<int64_t>(attrs.size()));
  for (int64_t a : attrs) put(a);
  for (DLTensor* t : ts) {
    put(t->ndim);
    for (int i = 0; i < t->ndim; ++i) put(t->shape[i]);
  }
  return key;
}

// Primitive attributes with a user-managed scratchpad: the library-managed one is shared by
// concurrent executions of a primitive, and Model clones run it from several threads.
dnnl::primitive_attr UserScratchpad(const dnnl::post_ops* ops = nullptr) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (ops != nullptr) attr.set_post_ops(*ops);
  return attr;
}

// Packed weights live in 2 MB pages (huge_pages.h). They are carved in creation order (the
// first run's call order) from chunks of at least kWeightChunkBytes, so that consecutive
// layers' weights are consecutive in memory; a chunk is freed when the last entry using it
// goes (the newest one when the process ends). 2 threads, batch 1, `bench/ab.py` both load
// orders, against 4 KB pages: ResNet-50 1.058 (CI 1.021-1.091; one 2 MB-rounded buffer per
// layer instead of chunks: 1.030), ResNet-18 1.031 (CI 1.013-1.055), BERT 1.038 (CI
// 1.015-1.051). Scratchpads in 2 MB pages: 1.000 (not done); the Winograd tile buffers use
// huge_pages::Allocator for its 64-byte alignment.
constexpr size_t kWeightChunkBytes = 32 << 20;

std::shared_ptr<void> WeightBuffer(size_t bytes) {
  static std::mutex mutex;
  static std::shared_ptr<char> chunk;
  static size_t chunk_size = 0, chunk_used = 0;
  std::lock_guard<std::mutex> lock(mutex);
  bytes = huge_pages::RoundUp(bytes, 64);
  if (!chunk || chunk_used + bytes > chunk_size) {
    chunk_size = huge_pages::RoundUp(std::max(bytes, kWeightChunkBytes), huge_pages::kPage);
    chunk.reset(static_cast<char*>(huge_pages::Allocate(chunk_size)), std::free);
    chunk_used = 0;
  }
  void* at = chunk.get() + chunk_used;
  chunk_used += bytes;
  return std::shared_ptr<void>(chunk, at);  // shares the chunk's ownership
}

// Executes `entry` on the given data pointers (one per argument, in `entry.arg_ids` order).
// Memory objects, the stream and the scratchpad are created once per calling thread and only
// re-pointed afterwards (MobileNetV2 b1, 56 calls: 4.89 -> 4.47 ms, `bench/ab.py`).
void Run(const Entry& entry, std::initializer_list<void*> handles) {
  struct Slot {
    std::vector<memory> args;
    memory scratchpad;
  };
  thread_local dnnl::stream stream(Engine());
  thread_local std::unordered_map<uint64_t, Slot> slots;
  thread_local std::vector<char> buffer;
  thread_local std::vector<dnnl_exec_arg_t> exec_args;
  Slot& slot = slots[entry.id];
  if (slot.args.empty()) {
    for (const memory::desc& md : entry.arg_mds) {
      slot.args.push_back(md.get_ndims() > 0 ? memory(md, Engine(), DNNL_MEMORY_NONE) : memory());
    }
  }
  exec_args.clear();
  size_t i = 0;
  for (void* handle : handles) {
    if (entry.arg_mds[i].get_ndims() > 0) {  // absent optional arguments have no descriptor
      if (slot.args[i].get_data_handle() != handle) slot.args[i].set_data_handle(handle);
      exec_args.push_back({entry.arg_ids[i], slot.args[i].get()});
    }
    ++i;
  }
  const size_t scratch = entry.scratchpad_md.get_size();
  if (scratch > 0) {
    if (buffer.size() < scratch) buffer.resize(scratch);
    if (!slot.scratchpad) slot.scratchpad = memory(entry.scratchpad_md, Engine(), buffer.data());
    if (slot.scratchpad.get_data_handle() != buffer.data()) {
      slot.scratchpad.set_data_handle(buffer.data());
    }
    exec_args.push_back({DNNL_ARG_SCRATCHPAD, slot.scratchpad.get()});
  }
  dnnl::error::wrap_c_api(
      dnnl_primitive_execute(entry.primitive.get(), stream.get(),
                             static_cast<int>(exec_args.size()), exec_args.data()),
      "could not execute a primitive");
  stream.wait();
}

// Reorder constant weights (`source`, laid out as `entry->weights_md`) once into the layout
// the primitive prefers; `copy` also copies a source already in that layout (a temporary).
void PackFrom(Entry* entry, const memory::desc& wanted, void* source, bool copy = false) {
  if (wanted == entry->weights_md && !copy) return;
  dnnl::stream stream(Engine());
  memory user(entry->weights_md, Engine(), source);
  entry->packed_storage = WeightBuffer(wanted.get_size());
  entry->packed_weights = memory(wanted, Engine(), entry->packed_storage.get());
  dnnl::reorder(user, entry->packed_weights).execute(stream, user, entry->packed_weights);
  stream.wait();
  entry->reorder_weights = true;
}

void PackWeights(Entry* entry, const memory::desc& wanted, DLTensor* weight) {
  entry->fingerprint = FingerprintOf(weight);
  PackFrom(entry, wanted, DataOf(weight));
}

// Runs a convolution / dense entry; the weights are the packed copy when there is one, and a
// null bias / residual is an absent one.
void RunLayer(const Entry& entry, DLTensor* data, DLTensor* weight, DLTensor* bias,
              DLTensor* residual, DLTensor* out) {
  void* weights = entry.reorder_weights ? entry.packed_weights.get_data_handle() : DataOf(weight);
  Run(entry, {DataOf(data), weights, DataOf(out), bias ? DataOf(bias) : nullptr,
              residual ? DataOf(residual) : nullptr});
}

// Arguments of a convolution / dense layer, in the order their call sites pass them: src,
// weights, dst, bias (unused when absent), residual (unused when absent).
void AddLayerArgs(Entry* e, const memory::desc& weights_md) {
  e->Arg(DNNL_ARG_SRC, e->src_md);
  e->Arg(DNNL_ARG_WEIGHTS, weights_md);
  e->Arg(DNNL_ARG_DST, e->dst_md);
  e->Arg(DNNL_ARG_BIAS, e->bias_md);
  e->Arg(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, e->residual_md);
}

// Activation post-op: attrs kind 0 none, 1 relu, 2 clip(alpha, beta), 3 gelu (erf),
// 4 linear (alpha * x + beta).
void AppendActivation(dnnl::post_ops& ops, int64_t kind, int64_t alpha_bits, int64_t beta_bits) {
  if (kind == 1) ops.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  if (kind == 2) {
    ops.append_eltwise(dnnl::algorithm::eltwise_clip, FloatOfBits(alpha_bits),
                       FloatOfBits(beta_bits));
  }
  if (kind == 3) ops.append_eltwise(dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
  if (kind == 4) {
    ops.append_eltwise(dnnl::algorithm::eltwise_linear, FloatOfBits(alpha_bits),
                       FloatOfBits(beta_bits));
  }
}

// Winograd F(4,3) (F(2,3) on small layers, below) replaces the direct convolution for 3x3,
// stride-1, undilated, ungrouped layers whose channel counts are multiples of 16 and whose
// output has at least kWinogradMinTiles 4x4 tiles. ResNet's 3x3 layers, 2 threads, against
// oneDNN's direct convolution (`python -m paddlec.bench.winograd_layers`): 1.25-1.6x faster
// at batch 1 (56x56x64 to 14x14x256), 1.0-1.6x at batch 8. The 7x7x512 layer at batch 1 has
// 4 tiles, too few rows for the 36 GEMMs: 0.85x in a one-off prototype, so it stays direct.
constexpr int64_t kWinogradMinTiles = 16;
// Layers of at most this many F(4,3) tiles run F(2,3) (winograd.h): at batch 1, ResNet's
// 14x14x256 layers wait on their 9.4 MB of F(4,3) weights, F(2,3) has 4.2 MB. 2 threads,
// `bench/ab.py` (both load orders) against F(4,3) everywhere: ResNet-18 b1 1.022 (CI
// 1.015-1.026), ResNet-50 b1 1.005 (no difference); also taking 28x28 layers (49 tiles):
// ResNet-50 b1 0.987 (one process).
constexpr int64_t kMaxSmallLayerTiles = 16;

int64_t Tiles(const memory::dims& nchw_out, int tile) {
  return nchw_out[0] * ((nchw_out[2] + tile - 1) / tile) * ((nchw_out[3] + tile - 1) / tile);
}

bool UseWinograd(const ffi::Shape& attrs, DLTensor* data, DLTensor* weight, DLTensor* out) {
  if (attrs[14] == 0 || attrs[11] == 3) return false;  // not allowed, or a GELU epilogue
  if (weight->shape[2] != 3 || weight->shape[3] != 3 || attrs[0] != 1 || attrs[1] != 1 ||
      attrs[6] != 1 || attrs[7] != 1 || attrs[8] != 1) {
    return false;
  }
  const memory::dims x = NchwOf(data), y = NchwOf(out);
  if (IsBlocked(data) != IsBlocked(out) || x[1] % winograd::kLanes != 0 ||
      y[1] % winograd::kLanes != 0) {
    return false;
  }
  return Tiles(y, winograd::kTile) >= kWinogradMinTiles;
}

// Layers whose whole-layer tile buffers would exceed kWholeLayerBytes run in blocks of tiles,
// one block per thread at a time: transform, a single-threaded matmul and the output
// transform stay in the core's L2. Measured (`bench/winograd_layers` shapes, batch 8, 2
// threads, blocks vs whole layer): 56x56x64 (14 MB each way) 1.17x faster; 28x28x128 (7 MB)
// 0.93x and 14x14x256 (5 MB) 0.89x with blocks of 32 / 16 rows, whose GEMMs are too thin.
constexpr int64_t kWholeLayerBytes = 16 << 20, kBlockFloats = 4096, kMinBlockRows = 16;
constexpr int64_t kBlocksPerThread = 4;

int64_t BlockRows(int64_t c, int64_t k) {
  return std::max(kMinBlockRows, kBlockFloats / std::max(c, k));
}

// The batched matmul [points, rows, C] x [points, C, K] with the transformed weights packed once;
// rows = all tiles, or one block of them (created single-threaded: each thread runs it).
std::shared_ptr<Entry> WinogradEntry(const ffi::Shape& attrs, DLTensor* data, DLTensor* weight,
                                     DLTensor* out) {
  auto e = std::make_shared<Entry>();
  e->is_winograd = true;
  const memory::dims x = NchwOf(data), y = NchwOf(out);
  const int64_t c = x[1], k = y[1];
  const int tile = Tiles(y, winograd::kTile) <= kMaxSmallLayerTiles ? winograd::kSmallTile
                                                                     : winograd::kTile;
  e->plan = winograd::MakePlan(x[0], x[2], x[3], c, y[2], y[3], k, attrs[2], attrs[3],
                               IsBlocked(data), tile);
  const int threads = omp_get_max_threads();
  const int64_t block = BlockRows(c, k);
  const int64_t points = e->plan.points;
  const int64_t whole_layer_bytes = points * e->plan.tiles * (c + k) * 4;
  if (threads > 1 && whole_layer_bytes > kWholeLayerBytes &&
      e->plan.tiles >= kBlocksPerThread * threads * block) {
    e->block_rows = block;
  }
  const int64_t rows = e->block_rows ? block : e->plan.tiles;
  e->src_md = memory::desc({points, rows, c}, dt::f32, tag::abc);
  e->dst_md = memory::desc({points, rows, k}, dt::f32, tag::abc);
  e->weights_md = memory::desc({points, c, k}, dt::f32, tag::abc);
  if (e->block_rows) omp_set_num_threads(1);  // oneDNN sizes its work for this count
  auto pd = dnnl::matmul::primitive_desc(Engine(), e->src_md,
                                         memory::desc({points, c, k}, dt::f32, tag::any),
                                         e->dst_md, UserScratchpad());
  e->scratchpad_md = pd.scratchpad_desc();
  e->primitive = dnnl::matmul(pd);
  if (e->block_rows) omp_set_num_threads(threads);
  std::vector<float> transformed(static_cast<size_t>(points * c * k));
  winograd::TransformWeights(DataOf(weight), c, k, transformed.data(), tile);
  e->fingerprint = FingerprintOf(weight);
  PackFrom(e.get(), pd.weights_desc(), transformed.data(), /*copy=*/true);
  e->Arg(DNNL_ARG_SRC, e->src_md);
  e->Arg(DNNL_ARG_WEIGHTS, pd.weights_desc());
  e->Arg(DNNL_ARG_DST, e->dst_md);
  return e;
}

// Tile buffers of the calling thread (model clones and OpenMP workers each have their own).
float* TileBuffer(int which, size_t floats) {
  thread_local std::vector<float, huge_pages::Allocator<float>> buffers[2];  // 64-byte aligned
  if (buffers[which].size() < floats) buffers[which].resize(floats);
  return buffers[which].data();
}

// Input transform, 36 GEMMs, output transform with bias / residual / activation.
void RunWinograd(const Entry& e, DLTensor* data, DLTensor* bias, DLTensor* residual,
                 const ffi::Shape& attrs, DLTensor* out) {
  const winograd::Plan& plan = e.plan;
  const winograd::Epilogue epilogue{bias ? DataOf(bias) : nullptr,
                                    residual ? DataOf(residual) : nullptr, attrs[11],
                                    FloatOfBits(attrs[12]), FloatOfBits(attrs[13])};
  const float* x = DataOf(data);
  float* y = DataOf(out);
  void* weights = e.packed_weights.get_data_handle();
  const int64_t points = plan.points;
  if (e.block_rows == 0) {
    const int64_t rows = plan.tiles;
    float* v = TileBuffer(0, static_cast<size_t>(points * rows * plan.c));
    float* m = TileBuffer(1, static_cast<size_t>(points * rows * plan.k));
    // in rows of tiles (on blocked data each thread then reads planes row by row), and on
    // blocked data in channel blocks too: a batch-1 layer has few rows of tiles (7 at 28x28,
    // which two threads would split 4:3)
    const int64_t chunk = plan.tiles_w, chunks = (rows + chunk - 1) / chunk;
    const int64_t in_width = plan.blocked ? winograd::kLanes : plan.c;  // channels per unit
    const int64_t out_width = plan.blocked ? winograd::kLanes : plan.k;
    const int64_t in_parts = plan.c / in_width, out_parts = plan.k / out_width;
#pragma omp parallel for schedule(static)
    for (int64_t u = 0; u < chunks * in_parts; ++u) {
      const int64_t first = u / in_parts * chunk, count = std::min(chunk, rows - first);
      const int64_t c0 = u % in_parts * in_width;
      winograd::InputTiles(x, plan, first, count, v, first, rows, c0, c0 + in_width);
    }
    Run(e, {v, weights, m});
#pragma omp parallel for schedule(static)
    for (int64_t u = 0; u < chunks * out_parts; ++u) {
      const int64_t first = u / out_parts * chunk, count = std::min(chunk, rows - first);
      const int64_t k0 = u % out_parts * out_width;
      winograd::OutputTiles(m, plan, first, count, first, rows, epilogue, y, k0, k0 + out_width);
    }
    return;
  }
  const int64_t rows = e.block_rows, blocks = (plan.tiles + rows - 1) / rows;
  std::exception_ptr error;
#pragma omp parallel
  {
    float* v = TileBuffer(0, static_cast<size_t>(points * rows * plan.c));
    float* m = TileBuffer(1, static_cast<size_t>(points * rows * plan.k));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t first = b * rows, count = std::min(rows, plan.tiles - first);
      winograd::InputTiles(x, plan, first, count, v, 0, rows, 0, plan.c);
      try {
        Run(e, {v, weights, m});  // rows past `count` hold stale tiles: computed, not stored
      } catch (...) {
#pragma omp critical
        error = std::current_exception();
      }
      winograd::OutputTiles(m, plan, first, count, 0, rows, epilogue, y, 0, plan.k);
    }
  }
  if (error) std::rethrow_exception(error);
}

// conv2d, NHWC data, OIHW weights (ONNX layout), optional bias [C], optional residual (NHWC,
// shape of the output) added before an optional activation.
// attrs: stride h w, pad top left bottom right, dilation h w, groups, has_bias,
//        has_residual, act kind, act alpha bits, act beta bits, Winograd allowed.
void Conv2d(DLTensor* data, DLTensor* weight, DLTensor* bias, DLTensor* residual,
            ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  CheckF32(data, "conv2d data");
  CheckF32(weight, "conv2d weight");
  if (attrs.size() != 15 || !IsFeatureMap(data) || weight->ndim != 4 || !IsFeatureMap(out)) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_conv2d: bad arguments";
  }
  const int64_t groups = attrs[8];
  const bool has_bias = attrs[9] != 0, has_residual = attrs[10] != 0;
  if (has_residual && residual->ndim != out->ndim) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_conv2d: residual and output layouts differ";
  }
  const std::string& key = KeyOf('c', attrs, {data, weight, out}, weight);
  auto entry = Cached(key, weight, [&]() {
    if (UseWinograd(attrs, data, weight, out)) return WinogradEntry(attrs, data, weight, out);
    auto e = std::make_shared<Entry>();
    memory::dims dst_nchw = NchwOf(out);
    memory::dims w = DimsOf(weight);
    memory::dims w_dims = groups == 1 ? w : memory::dims{groups, w[0] / groups, w[1], w[2], w[3]};
    // A 4-D image under a blocked output is NCHW (a network's stem, block_layouts.py).
    e->src_md = IsBlocked(out) && !IsBlocked(data) ? memory::desc(DimsOf(data), dt::f32, tag::nchw)
                                                   : FeatureMapDesc(data);
    e->dst_md = FeatureMapDesc(out);
    e->weights_md = memory::desc(w_dims, dt::f32, groups == 1 ? tag::oihw : tag::goihw);
    memory::desc any_w(w_dims, dt::f32, tag::any);
    if (has_bias) e->bias_md = memory::desc({dst_nchw[1]}, dt::f32, tag::a);
    dnnl::post_ops ops;
    if (has_residual) {
      e->residual_md = e->dst_md;
      ops.append_binary(dnnl::algorithm::binary_add, e->residual_md);
    }
    AppendActivation(ops, attrs[11], attrs[12], attrs[13]);
    dnnl::primitive_attr attr = UserScratchpad(&ops);
    auto pd = dnnl::convolution_forward::primitive_desc(
        Engine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
        e->src_md, any_w, e->bias_md, e->dst_md, {attrs[0], attrs[1]},
        {attrs[6] - 1, attrs[7] - 1}, {attrs[2], attrs[3]}, {attrs[4], attrs[5]}, attr);
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::convolution_forward(pd);
    PackWeights(e.get(), pd.weights_desc(), weight);
    AddLayerArgs(e.get(), pd.weights_desc());
    return e;
  });
  if (entry->is_winograd) {
    RunWinograd(*entry, data, has_bias ? bias : nullptr, has_residual ? residual : nullptr, attrs,
                out);
    return;
  }
  RunLayer(*entry, data, weight, has_bias ? bias : nullptr,
           has_residual ? residual : nullptr, out);
}

// Inverted residual block (inverted_residual.h), NHWC data [N, H, W, C]: optional 1x1 expand
// (w_expand [E, C, 1, 1], b_expand [E]), 3x3 depthwise (w_dw [E, 1, 3, 3], b_dw [E]), 1x1
// project (w_project [K, E, 1, 1], b_project [K]), optional residual of the output's shape.
// attrs: first layer (0 none, 1 1x1 expand, 2 stem: w_expand is a KxK convolution of NCHW
//        data), its act kind / alpha bits / beta bits, depthwise stride h w, pad top left
//        bottom right, depthwise act (3), project act (3), has_residual, stem stride h w,
//        stem pad top left, stem output h w.
// Strips of output rows hold about kStripFloats of expanded and depthwise rows (512 KB: the
// strip and the weights stay in a core's 2 MB L2).
constexpr int64_t kStripFloats = 128 << 10;
constexpr int64_t kSplitChannelsPixels = 49;

std::shared_ptr<inverted_residual::Block> MakeBlock(const ffi::Shape& attrs, DLTensor* data,
                                                    DLTensor* w_expand, DLTensor* b_expand,
                                                    DLTensor* w_dw, DLTensor* b_dw,
                                                    DLTensor* w_project, DLTensor* b_project,
                                                    DLTensor* out) {
  namespace ir = inverted_residual;
  auto act = [&](int at) { return ir::Act{attrs[at], FloatOfBits(attrs[at + 1]),
                                          FloatOfBits(attrs[at + 2])}; };
  auto b = std::make_shared<ir::Block>();
  const int64_t ch = w_dw->shape[0], k = out->shape[3];
  b->first = static_cast<ir::First>(attrs[0]);
  b->c_in = data->shape[3];
  if (b->first == ir::First::kExpand) {
    b->expand = ir::PackPointwise(DataOf(w_expand), DataOf(b_expand), b->c_in, ch, act(1));
  }
  ir::Depthwise& d = b->dw;
  d.channels = ch;
  d.h = data->shape[1];
  d.w = data->shape[2];
  if (b->first == ir::First::kStem) {
    ir::Stem& s = b->stem;
    s.c_in = data->shape[1];
    s.in_h = data->shape[2];
    s.in_w = data->shape[3];
    s.kh = w_expand->shape[2];
    s.kw = w_expand->shape[3];
    s.stride_h = attrs[17];
    s.stride_w = attrs[18];
    s.pad_top = attrs[19];
    s.pad_left = attrs[20];
    s.channels = ch;
    s.act = act(1);
    s.taps = ir::Transposed(DataOf(w_expand), ch, s.c_in * s.kh * s.kw);
    s.bias.assign(DataOf(b_expand), DataOf(b_expand) + ch);
    b->c_in = s.c_in;
    d.h = attrs[21];
    d.w = attrs[22];
  }
  d.oh = out->shape[1];
  d.ow = out->shape[2];
  d.stride_h = attrs[4];
  d.stride_w = attrs[5];
  d.pad_top = attrs[6];
  d.pad_left = attrs[7];
  d.taps = ir::Transposed(DataOf(w_dw), ch, 9);
  d.bias.assign(DataOf(b_dw), DataOf(b_dw) + ch);
  d.act = act(10);
  b->project = ir::PackPointwise(DataOf(w_project), DataOf(b_project), ch, k, act(13));
  const int64_t per_strip_row = d.stride_h * d.w * ch + d.ow * ch;
  b->strip = std::clamp<int64_t>((kStripFloats - 3 * d.w * ch) / per_strip_row + 1, 1, d.oh);
  const int64_t n = data->shape[0], threads = omp_get_max_threads();
  b->parts = n % threads == 0 ? 1 : n < threads ? (threads + n - 1) / n : 2;
  b->parts = std::min(b->parts, d.oh);
  b->split_channels = b->parts > 1 && b->first != ir::First::kStem &&
                      d.oh * d.ow <= kSplitChannelsPixels;
  return b;
}

void InvertedResidual(DLTensor* data, DLTensor* w_expand, DLTensor* b_expand, DLTensor* w_dw,
                      DLTensor* b_dw, DLTensor* w_project, DLTensor* b_project,
                      DLTensor* residual, ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  for (DLTensor* t : {data, w_expand, b_expand, w_dw, b_dw, w_project, b_project, out}) {
    CheckF32(t, "inverted residual tensor");
  }
  const int64_t first = attrs.size() == 23 ? attrs[0] : -1;
  const int64_t ch = w_dw->ndim == 4 ? w_dw->shape[0] : 0;
  const bool stem_ok = first == 2 && w_expand->ndim == 4 && w_expand->shape[0] == ch &&
                       w_expand->shape[1] == data->shape[1] &&
                       w_expand->shape[1] * w_expand->shape[2] <= inverted_residual::kMaxStemRows;
  if (first < 0 || first > 2 || data->ndim != 4 || out->ndim != 4 || w_dw->ndim != 4 ||
      w_project->ndim != 4 || ch % inverted_residual::kLanes != 0 ||
      w_dw->shape[2] != 3 || w_dw->shape[3] != 3 || w_project->shape[1] != ch ||
      out->shape[3] != w_project->shape[0] || (first == 0 && data->shape[3] != ch) ||
      (first == 1 && (w_expand->shape[0] != ch || w_expand->shape[1] != data->shape[3])) ||
      (first == 2 && !stem_ok)) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_inverted_residual: bad arguments";
  }
  const std::string& key = KeyOf('i', attrs, {data, out}, w_project);
  auto entry = Cached(key, w_project, [&]() {
    auto e = std::make_shared<Entry>();
    e->block = MakeBlock(attrs, data, w_expand, b_expand, w_dw, b_dw, w_project, b_project, out);
    e->fingerprint = FingerprintOf(w_project);
    return e;
  });
  const inverted_residual::Block& block = *entry->block;
  const float* x = DataOf(data);
  const float* r = attrs[16] != 0 ? DataOf(residual) : nullptr;
  float* y = DataOf(out);
  if (block.split_channels) {
    const inverted_residual::Depthwise& d = block.dw;
    float* e = inverted_residual::Buffer(0, static_cast<size_t>(d.h * d.w * d.channels));
    float* d_out = inverted_residual::Buffer(1, static_cast<size_t>(d.oh * d.ow * d.channels));
#pragma omp parallel
    for (int64_t n = 0; n < data->shape[0]; ++n) {
      inverted_residual::RunChannels(block, x, r, y, n, e, d_out);
    }
    return;
  }
  const int64_t units = data->shape[0] * block.parts, oh = block.dw.oh;
#pragma omp parallel for schedule(static)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t part = u % block.parts;
    inverted_residual::RunBand(block, x, r, y, u / block.parts, oh * part / block.parts,
                               oh * (part + 1) / block.parts);
  }
}

// The global average of a 1x1 convolution's output (a CNN's head: 1x1 conv + activation +
// global average pool, the conv output never stored): data NHWC [N, H, W, C], weight
// [K, C, 1, 1], bias [K]; out holds N x K values (NHWC [N, 1, 1, K] or NCHW [N, K, 1, 1]).
// attrs: act kind, alpha bits, beta bits. Threads take (image, 64 output channels) units.
constexpr int64_t kMeanStripPixels = 64;

void PointwiseMean(DLTensor* data, DLTensor* weight, DLTensor* bias, ffi::Shape attrs,
                   DLTensor* out) {
  namespace ir = inverted_residual;
  ApplyThreads();
  for (DLTensor* t : {data, weight, bias, out}) CheckF32(t, "pointwise mean tensor");
  int64_t out_count = 1;
  for (int i = 0; i < out->ndim; ++i) out_count *= out->shape[i];
  if (attrs.size() != 3 || data->ndim != 4 || weight->ndim != 4 ||
      weight->shape[1] != data->shape[3] || out_count != data->shape[0] * weight->shape[0]) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_pointwise_mean: bad arguments";
  }
  const std::string& key = KeyOf('m', attrs, {data, out}, weight);
  auto entry = Cached(key, weight, [&]() {
    auto e = std::make_shared<Entry>();
    const ir::Act act{attrs[0], FloatOfBits(attrs[1]), FloatOfBits(attrs[2])};
    e->pointwise = std::make_shared<ir::Pointwise>(ir::PackPointwise(
        DataOf(weight), DataOf(bias), weight->shape[1], weight->shape[0], act));
    e->fingerprint = FingerprintOf(weight);
    return e;
  });
  const ir::Pointwise& p = *entry->pointwise;
  const int64_t images = data->shape[0], pixels = data->shape[1] * data->shape[2];
  const int64_t k = p.k, groups = ir::ColumnGroups(p);
  const float* x = DataOf(data);
  float* y = DataOf(out);
#pragma omp parallel for schedule(static)
  for (int64_t u = 0; u < images * groups; ++u) {
    const int64_t n = u / groups, g = u % groups;
    const int64_t col = ir::GroupBegin(g), end = ir::GroupEnd(p, g);
    float* rows = ir::Buffer(0, static_cast<size_t>(kMeanStripPixels * k));
    float sums[ir::kGroupLanes] = {};
    for (int64_t p0 = 0; p0 < pixels; p0 += kMeanStripPixels) {
      const int64_t m = std::min(kMeanStripPixels, pixels - p0);
      ir::Gemm(p, x + (n * pixels + p0) * p.c, m, p.c, nullptr, rows, k, col, end);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = col; j < std::min(end, k); ++j) sums[j - col] += rows[i * k + j];
      }
    }
    for (int64_t j = col; j < std::min(end, k); ++j) {
      y[n * k + j] = sums[j - col] / static_cast<float>(pixels);
    }
  }
}

// Dense layers of at most kFewRows rows (a classifier at a small batch) run as the
// inverted residual kernel's GEMM with threads splitting the output channels. MobileNetV2's
// 1280 -> 1000 classifier, 2 threads (`bench/profile_ops.py --per-call`): batch 8 0.52 ->
// 0.36 ms; the whole model at batch 1, `bench/ab.py`: 1.056x (CI 1.025-1.083).
constexpr int64_t kFewRows = 16;

void DenseFewRows(const inverted_residual::Pointwise& p, const float* x, int64_t m,
                  const float* residual, float* y) {
  namespace ir = inverted_residual;
#pragma omp parallel for schedule(static)
  for (int64_t g = 0; g < ir::ColumnGroups(p); ++g) {
    ir::Gemm(p, x, m, p.c, residual, y, p.k, ir::GroupBegin(g), ir::GroupEnd(p, g));
  }
}

// Dense layer: data [..., K] x constant weight [K, N] (+ bias [N]) (+ residual, the output's
// shape) (+ activation). attrs: has_bias, has_residual, act kind, act alpha bits, beta bits.
void Dense(DLTensor* data, DLTensor* weight, DLTensor* bias, DLTensor* residual,
           ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  CheckF32(data, "dense data");
  CheckF32(weight, "dense weight");
  if (attrs.size() != 5 || weight->ndim != 2) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_dense: bad arguments";
  }
  const bool has_bias = attrs[0] != 0, has_residual = attrs[1] != 0;
  const std::string& key = KeyOf('d', attrs, {data, weight}, weight);
  int64_t rows = 1;
  for (int i = 0; i + 1 < data->ndim; ++i) rows *= data->shape[i];
  const bool few_rows = rows <= kFewRows && attrs[2] != 3 && inverted_residual::UseAvx512();
  auto entry = Cached(key, weight, [&]() {
    auto e = std::make_shared<Entry>();
    const int64_t k = weight->shape[0], n = weight->shape[1], m = rows;
    if (few_rows) {
      namespace ir = inverted_residual;
      const std::vector<float> transposed = ir::Transposed(DataOf(weight), k, n);
      const std::vector<float> zeros(static_cast<size_t>(n));
      const ir::Act act{attrs[2], FloatOfBits(attrs[3]), FloatOfBits(attrs[4])};
      e->pointwise = std::make_shared<ir::Pointwise>(
          ir::PackPointwise(transposed.data(), has_bias ? DataOf(bias) : zeros.data(), k, n, act));
      e->fingerprint = FingerprintOf(weight);
      return e;
    }
    e->src_md = memory::desc({m, k}, dt::f32, tag::ab);
    e->dst_md = memory::desc({m, n}, dt::f32, tag::ab);
    e->weights_md = memory::desc({k, n}, dt::f32, tag::ab);
    if (has_bias) e->bias_md = memory::desc({1, n}, dt::f32, tag::ab);
    dnnl::post_ops ops;
    if (has_residual) {
      e->residual_md = e->dst_md;
      ops.append_binary(dnnl::algorithm::binary_add, e->residual_md);
    }
    AppendActivation(ops, attrs[2], attrs[3], attrs[4]);
    dnnl::primitive_attr attr = UserScratchpad(&ops);
    auto pd = dnnl::matmul::primitive_desc(Engine(), e->src_md,
                                           memory::desc({k, n}, dt::f32, tag::any),
                                           e->bias_md, e->dst_md, attr);
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::matmul(pd);
    PackWeights(e.get(), pd.weights_desc(), weight);
    AddLayerArgs(e.get(), pd.weights_desc());
    return e;
  });
  if (entry->pointwise) {
    DenseFewRows(*entry->pointwise, DataOf(data), rows, has_residual ? DataOf(residual) : nullptr,
                 DataOf(out));
    return;
  }
  RunLayer(*entry, data, weight, has_bias ? bias : nullptr,
           has_residual ? residual : nullptr, out);
}

// The logical [B..., rows, cols] operand of a batched matmul seen through a permutation of a
// dense tensor `t` (`axes` as in permute_dims; `inverse`: t is the permuted result, for the
// output): dims and strides that let oneDNN read or write it in place.
memory::desc PermutedDesc(DLTensor* t, const int64_t* axes, bool inverse) {
  const int n = t->ndim;
  std::vector<int64_t> dense(n, 1), order(n);
  for (int i = n - 2; i >= 0; --i) dense[i] = dense[i + 1] * t->shape[i + 1];
  for (int i = 0; i < n; ++i) {
    if (inverse) order[axes[i]] = i; else order[i] = axes[i];
  }
  memory::dims dims(n), strides(n);
  for (int i = 0; i < n; ++i) {
    dims[i] = t->shape[order[i]];
    strides[i] = dense[order[i]];
  }
  return memory::desc(dims, dt::f32, strides);
}

// Batched matmul of two computed tensors with equal batch dims: [B..., M, K] x [B..., K, N]
// (+ activation). attrs: act kind, act alpha bits, act beta bits; then, when the compiler
// absorbed permute_dims around the call (offload.py), the axes of a's, b's and the output's
// permutation (ndim each): a and b are the tensors before their permutation, out the tensor
// after its own.
void BatchMatmul(DLTensor* a, DLTensor* b, ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  CheckF32(a, "matmul lhs");
  CheckF32(b, "matmul rhs");
  const bool permuted = attrs.size() == 3 + 3 * static_cast<size_t>(a->ndim);
  if (a->ndim != b->ndim || a->ndim < 3 || out->ndim != a->ndim ||
      (attrs.size() != 3 && !permuted)) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_batch_matmul: bad arguments";
  }
  const std::string& key = KeyOf('b', attrs, {a, b}, nullptr);
  auto entry = Cached(key, nullptr, [&]() {
    auto e = std::make_shared<Entry>();
    auto fold = [](DLTensor* t) {
      int64_t batch = 1;
      for (int i = 0; i + 2 < t->ndim; ++i) batch *= t->shape[i];
      return memory::desc({batch, t->shape[t->ndim - 2], t->shape[t->ndim - 1]}, dt::f32,
                          tag::abc);
    };
    const int64_t* axes = attrs.data() + 3;
    e->src_md = permuted ? PermutedDesc(a, axes, false) : fold(a);
    e->weights_md = permuted ? PermutedDesc(b, axes + a->ndim, false) : fold(b);
    e->dst_md = permuted ? PermutedDesc(out, axes + 2 * a->ndim, true) : fold(out);
    dnnl::post_ops ops;
    AppendActivation(ops, attrs[0], attrs[1], attrs[2]);
    dnnl::primitive_attr attr = UserScratchpad(&ops);
    auto pd = dnnl::matmul::primitive_desc(Engine(), e->src_md, e->weights_md, e->dst_md, attr);
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::matmul(pd);
    e->Arg(DNNL_ARG_SRC, e->src_md);
    e->Arg(DNNL_ARG_WEIGHTS, e->weights_md);
    e->Arg(DNNL_ARG_DST, e->dst_md);
    return e;
  });
  Run(*entry, {DataOf(a), DataOf(b), DataOf(out)});
}

// 2-D pooling on NHWC data. attrs: kind (0 max, 1 avg excluding pad, 2 avg including pad),
// kernel h w, stride h w, pad top left bottom right, dilation h w.
void Pool2d(DLTensor* data, ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  CheckF32(data, "pool data");
  if (attrs.size() != 11 || !IsFeatureMap(data) || !IsFeatureMap(out)) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_pool2d: bad arguments";
  }
  const std::string& key = KeyOf('p', attrs, {data, out}, nullptr);
  auto entry = Cached(key, nullptr, [&]() {
    auto e = std::make_shared<Entry>();
    e->src_md = FeatureMapDesc(data);
    e->dst_md = FeatureMapDesc(out);
    dnnl::algorithm alg = attrs[0] == 0   ? dnnl::algorithm::pooling_max
                          : attrs[0] == 1 ? dnnl::algorithm::pooling_avg_exclude_padding
                                          : dnnl::algorithm::pooling_avg_include_padding;
    auto pd = dnnl::pooling_forward::primitive_desc(
        Engine(), dnnl::prop_kind::forward_inference, alg, e->src_md, e->dst_md,
        {attrs[3], attrs[4]}, {attrs[1], attrs[2]}, {attrs[9] - 1, attrs[10] - 1},
        {attrs[5], attrs[6]}, {attrs[7], attrs[8]}, UserScratchpad());
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::pooling_forward(pd);
    e->Arg(DNNL_ARG_SRC, e->src_md);
    e->Arg(DNNL_ARG_DST, e->dst_md);
    return e;
  });
  Run(*entry, {DataOf(data), DataOf(out)});
}

// Layout change between NCHW and a feature map layout (NHWC or nChw16c; oneDNN's jit
// reorder, several times faster than TVM's generic transpose on 3-channel network inputs).
// attrs: 0 = NCHW -> `out`'s layout, 1 = `data`'s layout -> NCHW.
void Reorder(DLTensor* data, ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  CheckF32(data, "reorder data");
  if (attrs.size() != 1 || !IsFeatureMap(data) || !IsFeatureMap(out) ||
      (attrs[0] == 0 ? data->ndim : out->ndim) != 4) {
    TVM_FFI_THROW(ValueError) << "paddlec_dnnl_reorder: bad arguments";
  }
  const std::string& key = KeyOf('r', attrs, {data, out}, nullptr);
  auto entry = Cached(key, nullptr, [&]() {
    auto e = std::make_shared<Entry>();
    const bool from_nchw = attrs[0] == 0;
    memory::dims nchw = from_nchw ? DimsOf(data) : DimsOf(out);
    e->src_md = from_nchw ? memory::desc(nchw, dt::f32, tag::nchw) : FeatureMapDesc(data);
    e->dst_md = from_nchw ? FeatureMapDesc(out) : memory::desc(nchw, dt::f32, tag::nchw);
    auto pd = dnnl::reorder::primitive_desc(Engine(), e->src_md, Engine(), e->dst_md,
                                            UserScratchpad());
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::reorder(pd);
    e->Arg(DNNL_ARG_FROM, e->src_md);
    e->Arg(DNNL_ARG_TO, e->dst_md);
    return e;
  });
  Run(*entry, {DataOf(data), DataOf(out)});
}

// Flattens a tensor to [outer, inner] around its last axis.
memory::dims RowsOf(DLTensor* t) {
  int64_t rows = 1;
  for (int i = 0; i + 1 < t->ndim; ++i) rows *= t->shape[i];
  return {rows, t->shape[t->ndim - 1]};
}

// Softmax over the last axis. attrs: unused (kept for a uniform calling convention).
void Softmax(DLTensor* data, ffi::Shape attrs, DLTensor* out) {
  ApplyThreads();
  CheckF32(data, "softmax data");
  const std::string& key = KeyOf('s', attrs, {data}, nullptr);
  auto entry = Cached(key, nullptr, [&]() {
    auto e = std::make_shared<Entry>();
    e->src_md = memory::desc(RowsOf(data), dt::f32, tag::ab);
    auto pd = dnnl::softmax_forward::primitive_desc(
        Engine(), dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate,
        e->src_md, e->src_md, 1, UserScratchpad());
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::softmax_forward(pd);
    e->Arg(DNNL_ARG_SRC, e->src_md);
    e->Arg(DNNL_ARG_DST, e->src_md);
    return e;
  });
  Run(*entry, {DataOf(data), DataOf(out)});
}

// Layer normalization over the last axis with constant scale and shift [C].
// attrs: epsilon bits.
void LayerNorm(DLTensor* data, DLTensor* gamma, DLTensor* beta, ffi::Shape attrs,
               DLTensor* out) {
  ApplyThreads();
  CheckF32(data, "layer_norm data");
  if (attrs.size() != 1) TVM_FFI_THROW(ValueError) << "paddlec_dnnl_layer_norm: bad arguments";
  const std::string& key = KeyOf('l', attrs, {data}, nullptr);
  auto entry = Cached(key, nullptr, [&]() {
    auto e = std::make_shared<Entry>();
    e->src_md = memory::desc(RowsOf(data), dt::f32, tag::ab);
    e->bias_md = memory::desc({data->shape[data->ndim - 1]}, dt::f32, tag::a);
    auto pd = dnnl::layer_normalization_forward::primitive_desc(
        Engine(), dnnl::prop_kind::forward_inference, e->src_md, e->src_md,
        FloatOfBits(attrs[0]),
        dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift,
        UserScratchpad());
    e->scratchpad_md = pd.scratchpad_desc();
    e->primitive = dnnl::layer_normalization_forward(pd);
    e->Arg(DNNL_ARG_SRC, e->src_md);
    e->Arg(DNNL_ARG_SCALE, e->bias_md);
    e->Arg(DNNL_ARG_SHIFT, e->bias_md);
    e->Arg(DNNL_ARG_DST, e->src_md);
    return e;
  });
  Run(*entry, {DataOf(data), DataOf(gamma), DataOf(beta), DataOf(out)});
}

// Sets the OpenMP thread count the kernels use (0 = OpenMP's default); returns the old value.
int64_t SetNumThreads(int64_t threads) {
  return g_num_threads.exchange(static_cast<int>(threads));
}

// TVM's parallel loops on the calling thread's OpenMP team, with the configured count.
int TvmParallelLaunch(PaddlecParallelLambda lambda, void* cdata, int num_task) {
  ApplyThreads();
  return paddlec_openmp::ParallelLaunch(lambda, cdata, num_task, omp_get_max_threads());
}

// Called by the runtime once the library is loaded (see openmp_launch.h).
int64_t TvmKernelsOnOpenMp() { return paddlec_openmp::UseOpenMpForTvmKernels(&TvmParallelLaunch); }

}  // namespace

TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_conv2d, Conv2d);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_dense, Dense);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_inverted_residual, InvertedResidual);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_pointwise_mean, PointwiseMean);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_batch_matmul, BatchMatmul);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_pool2d, Pool2d);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_softmax, Softmax);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_layer_norm, LayerNorm);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_reorder, Reorder);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_dnnl_set_num_threads, SetNumThreads);
TVM_FFI_DLL_EXPORT_TYPED_FUNC(paddlec_tvm_kernels_on_openmp, TvmKernelsOnOpenMp);
