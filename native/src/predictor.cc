// Loading follows paddlec/runtime/model.py: manifest + checksums (+ signature) first, then
// the native libraries the artifact lists, then model.so, its VM and its thread settings.
#include "predictor.h"

#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tvm/ffi/container/array.h>
#include <tvm/ffi/container/shape.h>
#include <tvm/ffi/dtype.h>
#include <tvm/ffi/error.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "crypto.h"
#include "failure.h"

namespace paddlec {
namespace {

constexpr int kPooledAllocator = 2;  // tvm.runtime.vm.VirtualMachine.POOLED_ALLOCATOR

std::string LastLine(const std::exception& error) {
  std::string text = error.what();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  size_t cut = text.rfind('\n');
  return cut == std::string::npos ? text : text.substr(cut + 1);
}

std::string OwnDirectory() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&OwnDirectory), &info) == 0 || !info.dli_fname) return "";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::vector<std::string> SplitPath(const char* text) {
  std::vector<std::string> parts;
  std::stringstream stream(text ? text : "");
  std::string part;
  while (std::getline(stream, part, ':')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// dlopen(RTLD_GLOBAL) each library model.so depends on by soname (oneDNN...): from the
// configured folders, $PADDLEC_LIBRARY_PATH, this runtime's own folder, then the loader's
// search path (which includes this library's RUNPATH).
void LoadNativeLibraries(const Manifest& manifest, const PC_Config& config) {
  std::vector<std::string> folders = config.library_paths;
  for (const auto& folder : SplitPath(std::getenv("PADDLEC_LIBRARY_PATH"))) {
    folders.push_back(folder);
  }
  folders.push_back(OwnDirectory());
  for (const auto& library : manifest.native_libraries) {
    std::string errors;
    bool loaded = false;
    std::vector<std::string> candidates;
    for (const auto& folder : folders) {
      if (!folder.empty()) candidates.push_back(folder + "/" + library.soname);
    }
    candidates.push_back(library.soname);
    for (const auto& candidate : candidates) {
      if (dlopen(candidate.c_str(), RTLD_NOW | RTLD_GLOBAL) != nullptr) {
        loaded = true;
        break;
      }
      const char* why = dlerror();
      if (candidate == library.soname && why) errors = why;
    }
    if (!loaded) {
      throw Failure(PC_ERROR_ARTIFACT, "the artifact needs " + library.soname +
                                           (library.package.empty()
                                                ? ""
                                                : " (from the " + library.package +
                                                      " package; pass its folder with "
                                                      "PC_ConfigAddLibraryPath)") +
                                           ": " + errors);
    }
  }
}

DLDevice ParseDevice(const std::string& text) {
  std::string kind = text.substr(0, text.find(':'));
  std::string index = text.find(':') == std::string::npos ? "0" : text.substr(text.find(':') + 1);
  bool digits = !index.empty() && index.find_first_not_of("0123456789") == std::string::npos;
  if ((kind != "cpu" && kind != "cuda" && kind != "gpu") || !digits) {
    throw Failure(PC_ERROR_DEVICE, "unknown device '" + text + "': use 'cpu', 'cuda' or 'cuda:N'");
  }
  return DLDevice{kind == "cpu" ? kDLCPU : kDLCUDA, std::atoi(index.c_str())};
}

void LoadCudaRuntime(const Manifest& manifest) {
  if (tvm::ffi::Function::GetGlobal("device_api.cuda").has_value()) return;
  Dl_info info;
  std::string folder;  // the CUDA runtime sits beside libtvm_runtime.so in the wheel
  void* runtime_symbol = dlsym(RTLD_DEFAULT, "TVMBackendAllocWorkspace");
  if (runtime_symbol && dladdr(runtime_symbol, &info) != 0 && info.dli_fname) {
    folder = std::string(info.dli_fname);
    folder = folder.substr(0, folder.rfind('/') + 1);
  }
  if (dlopen((folder + "libtvm_runtime_cuda.so").c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char* why = dlerror();
    throw Failure(PC_ERROR_DEVICE, manifest.folder + " needs a CUDA device: cannot load TVM's "
                                   "CUDA runtime (" + std::string(why ? why : "") +
                                   "); is an NVIDIA driver (libcuda.so.1) installed?");
  }
}

bool DeviceExists(DLDevice device) {
  auto attr = tvm::ffi::Function::GetGlobal("runtime.GetDeviceAttr");
  if (!attr.has_value()) return device.device_type == kDLCPU;
  return (*attr)(static_cast<int>(device.device_type), device.device_id, 0).cast<int64_t>() != 0;
}

void Flatten(const tvm::ffi::Any& value, std::vector<tvm::ffi::Tensor>* out) {
  if (auto tensor = value.try_cast<tvm::ffi::Tensor>()) {
    out->push_back(*tensor);
    return;
  }
  if (auto array = value.try_cast<tvm::ffi::Array<tvm::ffi::Any>>()) {
    for (const auto& item : *array) Flatten(item, out);
    return;
  }
  throw Failure(PC_ERROR_EXECUTION, "the compiled model returned a value that is not a tensor");
}

std::string Dims(const std::vector<int64_t>& shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? "x" : "") + std::to_string(shape[i]);
  return text.empty() ? "scalar" : text;
}

std::string Dims(const std::vector<Dim>& shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? "x" : "") + (shape[i].size >= 0 ? std::to_string(shape[i].size) : shape[i].name);
  }
  return text.empty() ? "scalar" : text;
}

// glibc's dlopen hands back a library already loaded under the same file name (a name it
// also records when a second path reaches an already loaded file) even when the file there
// was replaced since: an artifact recompiled into the same folder would run the old code.
// dlopen(RTLD_NOLOAD) tells whether the name is taken and dlinfo which file holds it; when
// that is not the file now at the path, the library is loaded from a copy named after its
// sha256 in the temporary directory (runtime/stale_library.py does the same).
bool SameFile(const char* a, const char* b) {
  struct stat first, second;
  return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev &&
         first.st_ino == second.st_ino;
}

std::string LoadableLibrary(const std::string& library, const std::string& sha256) {
  char real[PATH_MAX];
  if (realpath(library.c_str(), real) == nullptr) return library;
  void* handle = dlopen(real, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return library;
  struct link_map* loaded = nullptr;
  bool current = dlinfo(handle, RTLD_DI_LINKMAP, &loaded) == 0 && loaded != nullptr &&
                 loaded->l_name != nullptr && SameFile(loaded->l_name, real);
  dlclose(handle);  // the reference RTLD_NOLOAD added
  if (current) return library;
  const char* tmp = getenv("TMPDIR");
  std::string folder = tmp && *tmp ? tmp : "/tmp";
  std::string name = library.substr(library.find_last_of('/') + 1);
  std::string copy = folder + "/paddlec-" + sha256.substr(0, 40) + "-" + name;
  if (std::ifstream(copy).good() && Sha256File(copy) == sha256) return copy;
  std::string staging = copy + "." + std::to_string(getpid());
  {
    std::ifstream source(real, std::ios::binary);
    std::ofstream target(staging, std::ios::binary | std::ios::trunc);
    target << source.rdbuf();
    if (!target) throw Failure(PC_ERROR_ARTIFACT, staging + ": cannot write a copy of " +
                                                      library);
  }
  if (rename(staging.c_str(), copy.c_str()) != 0 || Sha256File(copy) != sha256) {
    throw Failure(PC_ERROR_ARTIFACT, copy + ": cannot place a copy of " + library);
  }
  return copy;
}

}  // namespace

DLDataType ExchangedType(const TensorSpec& spec) {
  return tvm::ffi::StringToDLDataType(spec.storage.empty() ? spec.dtype : spec.storage);
}

size_t ElementBytes(const TensorSpec& spec) {
  DLDataType type = ExchangedType(spec);
  return (static_cast<size_t>(type.bits) * type.lanes + 7) / 8;
}

std::unique_ptr<Predictor> Predictor::Create(const PC_Config& config) {
  if (config.model_dir.empty()) {
    throw Failure(PC_ERROR_USAGE, "no artifact folder: call PC_ConfigSetModelDir first");
  }
  auto artifact = std::make_shared<LoadedArtifact>();
  artifact->manifest = ReadManifest(config.model_dir, config.trusted_keys);
  const Manifest& manifest = artifact->manifest;
  artifact->device = ParseDevice(config.device);
  std::string wanted = artifact->device.device_type == kDLCPU ? "cpu" : "cuda";
  if (wanted != manifest.device) {
    throw Failure(PC_ERROR_DEVICE, manifest.folder + " was compiled for '" + manifest.device +
                                       "' (" + manifest.target_given + ") and cannot run on '" +
                                       config.device + "'");
  }
  if (manifest.has_tensorrt_regions) {
    throw Failure(PC_ERROR_ARTIFACT, manifest.folder + " has TensorRT regions, which only the "
                                     "Python runtime executes");
  }
  // TVM binds its pool's threads to cores by default; oneDNN's OpenMP team inherits that
  // mask (paddlec/__init__.py measured 2x slower). Leave a caller's own choice alone.
  setenv("TVM_BIND_THREADS", "0", 0);
  if (artifact->device.device_type == kDLCUDA) LoadCudaRuntime(manifest);
  if (!DeviceExists(artifact->device)) {
    throw Failure(PC_ERROR_DEVICE, "no " + wanted + " device '" + config.device +
                                       "' on this machine");
  }
  LoadNativeLibraries(manifest, config);
  std::string library = manifest.folder + "/" + manifest.library;
  try {
    artifact->library = tvm::ffi::Module::LoadFromFile(
        LoadableLibrary(library, manifest.files.at(manifest.library)));
  } catch (const std::exception& error) {
    throw Failure(PC_ERROR_ARTIFACT,
                  library + ": cannot load the compiled library: " + LastLine(error));
  }
  // Fast-path libraries run TVM's parallel loops on the oneDNN kernels' OpenMP team
  // (compiler/cpu/kernels/openmp_launch.h) instead of TVM's pool.
  if (auto hook = (*artifact->library)->GetFunction("paddlec_tvm_kernels_on_openmp", true)) {
    (*hook)();
    artifact->tvm_kernels_on_openmp = true;
  }
  std::unique_ptr<Predictor> predictor(new Predictor(std::move(artifact)));
  if (config.threads > 0) predictor->SetNumThreads(config.threads);
  return predictor;
}

void Predictor::SetNumThreads(int threads) {
  if (auto set = (*artifact_->library)->GetFunction("paddlec_dnnl_set_num_threads", true)) {
    (*set)(threads);
  }
  if (!artifact_->tvm_kernels_on_openmp) {  // TVM's pool of the calling thread
    if (auto pool = tvm::ffi::Function::GetGlobal("runtime.config_threadpool")) {
      (*pool)(1, threads);  // 1: the big cores
    }
  }
}

Predictor::Predictor(std::shared_ptr<LoadedArtifact> artifact) : artifact_(std::move(artifact)) {
  const Manifest& manifest = artifact_->manifest;
  try {
    auto load = (*artifact_->library)->GetFunction("vm_load_executable", true);
    if (!load.has_value()) throw Failure(PC_ERROR_ARTIFACT, "no Relax executable in the library");
    vm_ = (*load)().cast<tvm::ffi::Module>();
    DLDevice device = artifact_->device;
    auto init = (*vm_)->GetFunction("vm_initialization", true).value();
    if (device.device_type == kDLCPU) {
      init(static_cast<int>(kDLCPU), device.device_id, kPooledAllocator);
    } else {  // shape functions run on the host
      init(static_cast<int>(device.device_type), device.device_id, kPooledAllocator,
           static_cast<int>(kDLCPU), 0, kPooledAllocator);
    }
    auto main = (*vm_)->GetFunction("main", true);
    if (!main.has_value()) throw Failure(PC_ERROR_ARTIFACT, "the library has no main function");
    main_ = *main;
    if (!manifest.batch_one_function.empty()) {
      auto batch_one = (*vm_)->GetFunction(manifest.batch_one_function, true);
      if (!batch_one.has_value()) {
        throw Failure(PC_ERROR_ARTIFACT, "the library lacks the function " +
                                             manifest.batch_one_function + " the manifest names");
      }
      batch_one_ = *batch_one;
    }
  } catch (const Failure& failure) {
    throw Failure(failure.code(), manifest.folder + ": " + failure.what());
  } catch (const std::exception& error) {
    throw Failure(PC_ERROR_ARTIFACT,
                  manifest.folder + ": cannot start the compiled model: " + LastLine(error));
  }
  for (const auto& spec : manifest.inputs) {
    inputs_.push_back(PC_Tensor{this, &spec, true});
  }
  for (const auto& spec : manifest.outputs) {
    outputs_.push_back(PC_Tensor{this, &spec, false});
  }
}

std::unique_ptr<Predictor> Predictor::Clone() const {
  return std::unique_ptr<Predictor>(new Predictor(artifact_));
}

PC_Tensor* Predictor::Input(const std::string& name) {
  for (auto& tensor : inputs_) {
    if (tensor.spec->name == name) return &tensor;
  }
  return nullptr;
}

PC_Tensor* Predictor::Output(const std::string& name) {
  for (auto& tensor : outputs_) {
    if (tensor.spec->name == name) return &tensor;
  }
  return nullptr;
}

void Predictor::CheckFeeds() const {
  std::map<std::string, std::pair<int64_t, std::string>> bound;  // dim name -> size, input
  for (const auto& tensor : inputs_) {
    const TensorSpec& spec = *tensor.spec;
    if (!tensor.has_data) {
      throw Failure(PC_ERROR_USAGE, "input '" + spec.name + "' has no data: call "
                                    "PC_TensorReshape and PC_TensorCopyFromCpu before the run");
    }
    for (size_t i = 0; i < spec.shape.size(); ++i) {
      if (spec.shape[i].size >= 0) continue;
      auto range = artifact_->manifest.dim_ranges.find(spec.shape[i].name);
      if (range != artifact_->manifest.dim_ranges.end() &&
          (tensor.shape[i] < range->second.first || tensor.shape[i] > range->second.second)) {
        throw Failure(PC_ERROR_INPUT_MISMATCH,
                      "input '" + spec.name + "': dimension " + std::to_string(i) + " ('" +
                          spec.shape[i].name + "') is " + std::to_string(tensor.shape[i]) +
                          ", outside the range " + std::to_string(range->second.first) + ".." +
                          std::to_string(range->second.second) +
                          " the model was compiled for (--input-shape-range)");
      }
      auto [it, fresh] = bound.emplace(spec.shape[i].name,
                                       std::make_pair(tensor.shape[i], spec.name));
      if (!fresh && it->second.first != tensor.shape[i]) {
        throw Failure(PC_ERROR_INPUT_MISMATCH,
                      "input '" + spec.name + "': dimension '" + spec.shape[i].name + "' is " +
                          std::to_string(tensor.shape[i]) + " here but " +
                          std::to_string(it->second.first) + " in input '" +
                          it->second.second + "'");
      }
    }
  }
}

void Predictor::Run() {
  CheckFeeds();
  std::vector<tvm::ffi::AnyView> args;
  bool batch_one = batch_one_ != nullptr;
  for (size_t index : artifact_->manifest.batch_one_inputs) {
    batch_one = batch_one && !inputs_[index].shape.empty() && inputs_[index].shape[0] == 1;
  }
  for (const auto& tensor : inputs_) args.emplace_back(tensor.value);
  tvm::ffi::Any result;
  std::vector<tvm::ffi::Tensor> flat;
  try {
    (batch_one ? batch_one_ : main_).CallPacked(args.data(), static_cast<int32_t>(args.size()),
                                                &result);
    Flatten(result, &flat);
  } catch (const Failure&) {
    throw;
  } catch (const std::exception& error) {
    throw Failure(PC_ERROR_EXECUTION, artifact_->manifest.folder +
                                          ": the compiled model failed while running: " +
                                          LastLine(error));
  }
  if (flat.size() != outputs_.size()) {
    throw Failure(PC_ERROR_ARTIFACT, artifact_->manifest.folder + ": the library returned " +
                                         std::to_string(flat.size()) + " outputs, the manifest "
                                         "lists " + std::to_string(outputs_.size()));
  }
  for (size_t i = 0; i < flat.size(); ++i) {
    outputs_[i].value = flat[i];
    tvm::ffi::ShapeView shape = flat[i].shape();
    outputs_[i].shape.assign(shape.begin(), shape.end());
    outputs_[i].has_shape = outputs_[i].has_data = true;
  }
}

// ----------------------------------------------------------------------------- tensors

void Predictor::Reshape(PC_Tensor* tensor, const std::vector<int64_t>& shape) {
  const TensorSpec& spec = *tensor->spec;
  auto mismatch = [&]() {
    return Failure(PC_ERROR_INPUT_MISMATCH, "input '" + spec.name + "': expected shape " +
                                                Dims(spec.shape) + ", got " + Dims(shape));
  };
  if (shape.size() != spec.shape.size()) throw mismatch();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0 || (spec.shape[i].size >= 0 && spec.shape[i].size != shape[i])) {
      throw mismatch();
    }
  }
  if (ElementCount(shape) > (int64_t{1} << 40)) {
    throw Failure(PC_ERROR_INPUT_MISMATCH,
                  "input '" + spec.name + "': shape " + Dims(shape) + " is too large");
  }
  if (!tensor->has_shape || tensor->shape != shape) {
    static const tvm::ffi::Function empty = RuntimeFunction("runtime.TVMTensorAllocWithScope");
    tensor->value = empty(tvm::ffi::Shape(shape), ExchangedType(spec), artifact_->device,
                          tvm::ffi::Optional<tvm::ffi::String>())
                        .cast<tvm::ffi::Tensor>();
    tensor->has_data = false;
  }
  tensor->shape = shape;
  tensor->has_shape = true;
}

tvm::ffi::Function RuntimeFunction(const char* name) {
  auto function = tvm::ffi::Function::GetGlobal(name);
  if (!function.has_value()) {
    throw Failure(PC_ERROR_INTERNAL, std::string("TVM's runtime library lacks ") + name);
  }
  return *function;
}

int64_t ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

size_t TensorBytes(const PC_Tensor& tensor) {
  if (!tensor.has_shape) return 0;
  return static_cast<size_t>(ElementCount(tensor.shape)) * ElementBytes(*tensor.spec);
}

}  // namespace paddlec
