// A loaded artifact (library + weights, shared by clones) and a predictor over it (its own
// virtual machine and tensor handles), on TVM's runtime library only.
#pragma once

#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/extra/module.h>
#include <tvm/ffi/function.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manifest.h"
#include "paddlec.h"

struct PC_Config {
  std::string model_dir;
  int32_t threads = 0;  // 0: the library's default
  std::string device = "cpu";
  std::vector<std::string> trusted_keys;
  std::vector<std::string> library_paths;
};

namespace paddlec {
class Predictor;
}

struct PC_Tensor {
  paddlec::Predictor* owner = nullptr;
  const paddlec::TensorSpec* spec = nullptr;
  bool is_input = true;
  bool has_shape = false;
  bool has_data = false;
  std::vector<int64_t> shape;
  tvm::ffi::Tensor value;  // input: filled by CopyFromCpu; output: the last run's result
};

namespace paddlec {

struct LoadedArtifact {
  Manifest manifest;
  std::optional<tvm::ffi::Module> library;  // model.so (set once loaded)
  DLDevice device{kDLCPU, 0};
  bool tvm_kernels_on_openmp = false;
};

class Predictor {
 public:
  static std::unique_ptr<Predictor> Create(const PC_Config& config);
  std::unique_ptr<Predictor> Clone() const;
  void Run();
  void SetNumThreads(int threads);
  // Sets an input's shape for the next run (checked against the declared shape) and
  // allocates its tensor on the predictor's device.
  void Reshape(PC_Tensor* tensor, const std::vector<int64_t>& shape);
  PC_Tensor* Input(const std::string& name);
  PC_Tensor* Output(const std::string& name);
  const Manifest& manifest() const { return artifact_->manifest; }
  const std::vector<PC_Tensor>& inputs() const { return inputs_; }
  const std::vector<PC_Tensor>& outputs() const { return outputs_; }

 private:
  explicit Predictor(std::shared_ptr<LoadedArtifact> artifact);
  void CheckFeeds() const;

  std::shared_ptr<LoadedArtifact> artifact_;
  std::optional<tvm::ffi::Module> vm_;
  tvm::ffi::Function main_;
  tvm::ffi::Function batch_one_;  // main specialized to batch 1, when the compiler made one
  std::vector<PC_Tensor> inputs_, outputs_;
};

// DLPack type and element size (bytes) of a spec's exchanged dtype; element count of a
// shape; bytes of a tensor's current shape (0 before it has one).
DLDataType ExchangedType(const TensorSpec& spec);
size_t ElementBytes(const TensorSpec& spec);
int64_t ElementCount(const std::vector<int64_t>& shape);
// A function of TVM's runtime library (tensor allocation and copies), by registered name.
tvm::ffi::Function RuntimeFunction(const char* name);
size_t TensorBytes(const PC_Tensor& tensor);

}  // namespace paddlec
