// The convolutions of a model, alone: each oneDNN convolution primitive of a paddlec artifact
// (as ONEDNN_VERBOSE lists them) executed back to back with persistent memory and no glue
// (no VM, no Python, no layout changes). Its time is the floor the fast path could reach with
// these kernels; `bench/conv_floor.py` builds and runs it.
//
//   conv_floor LAYERS_FILE nhwc|blocked BATCH REPS
//
// LAYERS_FILE: one line per convolution, "<oneDNN problem descriptor> <residual 0|1> <act>",
// act 0 none, 1 relu, 2 clip(0, 6). "blocked" keeps every activation whose channel count is a
// multiple of 16 in oneDNN's nChw16c layout (others NHWC, a 3-channel image NCHW).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Layer {
  long groups = 1, mb = 0, ic = 0, oc = 0, ih = 0, oh = 0, kh = 0, sh = 0, ph = 0, iw = 0, ow = 0,
       kw = 0, sw = 0, pw = 0;
  int residual = 0, act = 0;
};

struct Step {
  convolution_forward primitive;
  std::unordered_map<int, memory> args;
};

tag LayoutOf(long channels, bool blocked, bool is_input) {
  if (!blocked) return tag::nhwc;
  if (channels % 16 == 0) return tag::nChw16c;
  return is_input && channels <= 4 ? tag::nchw : tag::nhwc;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: conv_floor LAYERS nhwc|blocked BATCH REPS\n");
    return 2;
  }
  const bool blocked = std::string(argv[2]) == "blocked";
  const long batch = std::atol(argv[3]);
  const int reps = std::atoi(argv[4]);
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  std::ifstream in(argv[1]);
  std::vector<Step> steps;
  std::string line;
  while (std::getline(in, line)) {
    Layer l;
    char desc[256];
    if (std::sscanf(line.c_str(), "%255s %d %d", desc, &l.residual, &l.act) != 3) continue;
    const char* p = desc;
    if (*p == 'g') l.groups = std::strtol(p + 1, const_cast<char**>(&p), 10);
    std::sscanf(p, "mb%ld_ic%ldoc%ld_ih%ldoh%ldkh%ldsh%ld%*[^p]ph%ld_iw%ldow%ldkw%ldsw%ld%*[^p]pw%ld",
                &l.mb, &l.ic, &l.oc, &l.ih, &l.oh, &l.kh, &l.sh, &l.ph, &l.iw, &l.ow, &l.kw,
                &l.sw, &l.pw);
    l.mb = batch;
    memory::desc src({l.mb, l.ic, l.ih, l.iw}, dt::f32, LayoutOf(l.ic, blocked, true));
    memory::desc dst({l.mb, l.oc, l.oh, l.ow}, dt::f32, LayoutOf(l.oc, blocked, false));
    memory::dims w = l.groups == 1
                         ? memory::dims{l.oc, l.ic, l.kh, l.kw}
                         : memory::dims{l.groups, l.oc / l.groups, l.ic / l.groups, l.kh, l.kw};
    post_ops ops;
    if (l.residual) ops.append_binary(algorithm::binary_add, dst);
    if (l.act == 1) ops.append_eltwise(algorithm::eltwise_relu, 0.f, 0.f);
    if (l.act == 2) ops.append_eltwise(algorithm::eltwise_clip, 0.f, 6.f);
    primitive_attr attr;
    attr.set_post_ops(ops);
    attr.set_scratchpad_mode(scratchpad_mode::user);
    convolution_forward::primitive_desc pd(
        eng, prop_kind::forward_inference, algorithm::convolution_direct, src,
        memory::desc(w, dt::f32, tag::any), memory::desc({l.oc}, dt::f32, tag::a), dst,
        {l.sh, l.sw}, {0, 0}, {l.ph, l.pw}, {l.ph, l.pw}, attr);
    Step step{convolution_forward(pd), {}};
    step.args[DNNL_ARG_SRC] = memory(pd.src_desc(), eng);
    step.args[DNNL_ARG_WEIGHTS] = memory(pd.weights_desc(), eng);
    step.args[DNNL_ARG_BIAS] = memory(pd.bias_desc(), eng);
    step.args[DNNL_ARG_DST] = memory(pd.dst_desc(), eng);
    step.args[DNNL_ARG_SCRATCHPAD] = memory(pd.scratchpad_desc(), eng);
    if (l.residual) step.args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = memory(dst, eng);
    for (auto& kv : step.args) {  // small finite values: no denormals, no NaN
      float* data = static_cast<float*>(kv.second.get_data_handle());
      const size_t count = kv.second.get_desc().get_size() / sizeof(float);
      for (size_t i = 0; i < count; ++i) data[i] = 0.01f * static_cast<float>(i % 97);
    }
    std::printf("layer %s %s\n", desc, pd.impl_info_str());
    steps.push_back(std::move(step));
  }
  std::vector<double> times;
  for (int r = 0; r < reps + 3; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (Step& step : steps) step.primitive.execute(strm, step.args);
    strm.wait();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (r >= 3) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  std::printf("convs %zu median_ms %.3f p10_ms %.3f\n", steps.size(), times[times.size() / 2],
              times[times.size() / 10]);
  return 0;
}
