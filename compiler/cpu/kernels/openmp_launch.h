// TVM's own kernels in model.so (the transposes, adds... the fast path leaves to TVM) run
// their parallel loops on the oneDNN kernels' OpenMP team instead of TVM's thread pool.
//
// Why: TVM's pool is a second set of worker threads. After each TVM kernel its workers spin
// (300000 iterations) while the next oneDNN kernel's OpenMP threads want the same cores, and
// GNU OpenMP's threads spin in turn while a TVM kernel runs. On this project's 2-core machine
// TVM sizes its pool to half the logical CPUs (1 thread: no contention, but the TVM kernels
// run serially); with TVM_NUM_THREADS=2 the BERT-like encoder at batch 1 ran 1.7x slower.
// One team for both removes the second pool and its spinning altogether.
//
// How: the LLVM code TVM generates calls its parallel loops through the function pointer
// `__TVMBackendParallelLaunch` (and `__TVMBackendParallelBarrier`), variables of model.so that
// TVM's loader fills in when it loads the library. UseOpenMpForTvmKernels() points them at the
// launcher below afterwards; it must run after the load (a static initializer would run first
// and be overwritten). The signatures are those of tvm/runtime/c_backend_api.h.
#pragma once

#include <omp.h>

#include <atomic>
#include <cstdint>

extern "C" {
struct PaddlecParallelGroupEnv {  // = TVMParallelGroupEnv
  void* sync_handle;
  int32_t num_task;
};
typedef int (*PaddlecParallelLambda)(int task_id, PaddlecParallelGroupEnv* env, void* cdata);

// Defined (weak) by TVM's generated object when it has parallel loops; null otherwise.
extern void* __TVMBackendParallelLaunch __attribute__((weak));
extern void* __TVMBackendParallelBarrier __attribute__((weak));
}

namespace paddlec_openmp {

// One task per thread of the team: num_task 0 (what TVM's parallel loops ask for) = the whole
// team, a fixed count caps it. TVM's lambdas split their loop by env->num_task, whatever it
// is (TVM's own launcher passes 1 when its pool has one thread). `threads` is the caller's
// OpenMP thread count. Returns non-zero when a task failed.
inline int ParallelLaunch(PaddlecParallelLambda lambda, void* cdata, int num_task, int threads) {
  if (num_task > 0 && num_task < threads) threads = num_task;
  if (threads <= 1) {
    PaddlecParallelGroupEnv env{nullptr, 1};
    return lambda(0, &env, cdata);
  }
  std::atomic<int> failed{0};
#pragma omp parallel num_threads(threads)
  {
    PaddlecParallelGroupEnv env{nullptr, omp_get_num_threads()};
    if (lambda(omp_get_thread_num(), &env, cdata) != 0) {
      failed.store(1, std::memory_order_relaxed);
    }
  }
  return failed.load() ? -1 : 0;
}

// Called by a task inside ParallelLaunch's region: the barrier binds to that region.
inline int ParallelBarrier(int, PaddlecParallelGroupEnv*) {
#pragma omp barrier
  return 0;
}

// Points model.so's launch hook at `launch` (a wrapper of ParallelLaunch that supplies the
// thread count). Returns 1 when model.so has TVM parallel loops, else 0.
inline int64_t UseOpenMpForTvmKernels(int (*launch)(PaddlecParallelLambda, void*, int)) {
  int64_t installed = 0;
  if (&__TVMBackendParallelLaunch != nullptr) {
    __TVMBackendParallelLaunch = reinterpret_cast<void*>(launch);
    installed = 1;
  }
  if (&__TVMBackendParallelBarrier != nullptr) {
    __TVMBackendParallelBarrier = reinterpret_cast<void*>(&ParallelBarrier);
  }
  return installed;
}

}  // namespace paddlec_openmp
