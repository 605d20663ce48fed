// The C ABI (paddlec.h) over Predictor: every entry point catches everything, records the
// message and code in thread-local storage, and returns a status / NULL.
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "failure.h"
#include "paddlec.h"
#include "predictor.h"

#ifndef PADDLEC_VERSION
#define PADDLEC_VERSION "0.1.0"
#endif

struct PC_Predictor {
  std::unique_ptr<paddlec::Predictor> impl;
};

namespace {

thread_local std::string last_error;
thread_local PC_Status last_code = PC_OK;

PC_Status Fail(PC_Status code, const std::string& message) {
  last_error = message;
  last_code = code;
  return code;
}

PC_Status Succeed() {
  last_error.clear();
  last_code = PC_OK;
  return PC_OK;
}

// Runs `body`; a Failure keeps its code, anything else is PC_ERROR_INTERNAL.
template <typename Body>
PC_Status Guard(Body&& body) {
  try {
    body();
    return Succeed();
  } catch (const paddlec::Failure& failure) {
    return Fail(failure.code(), failure.what());
  } catch (const std::exception& error) {
    return Fail(PC_ERROR_INTERNAL, error.what());
  } catch (...) {
    return Fail(PC_ERROR_INTERNAL, "unknown error");
  }
}

void Require(const void* pointer, const char* what) {
  if (pointer == nullptr) throw paddlec::Failure(PC_ERROR_USAGE, std::string(what) + " is NULL");
}

PC_DataType PublicType(const paddlec::TensorSpec& spec) {
  if (!spec.storage.empty()) return PC_DATA_LOW_PRECISION;
  static const std::pair<const char*, PC_DataType> names[] = {
      {"float32", PC_DATA_FLOAT32}, {"float16", PC_DATA_FLOAT16}, {"float64", PC_DATA_FLOAT64},
      {"bfloat16", PC_DATA_BFLOAT16}, {"int64", PC_DATA_INT64}, {"int32", PC_DATA_INT32},
      {"int16", PC_DATA_INT16}, {"int8", PC_DATA_INT8}, {"uint8", PC_DATA_UINT8},
      {"bool", PC_DATA_BOOL}};
  for (const auto& [name, type] : names) {
    if (spec.dtype == name) return type;
  }
  return PC_DATA_UNKNOWN;
}

void CheckBytes(const PC_Tensor* tensor, size_t nbytes) {
  if (!tensor->has_shape) {
    throw paddlec::Failure(PC_ERROR_USAGE, "tensor '" + tensor->spec->name + "' has no shape "
                                           "yet (inputs: call PC_TensorReshape first; "
                                           "outputs: run the predictor first)");
  }
  size_t want = paddlec::TensorBytes(*tensor);
  if (nbytes != want) {
    throw paddlec::Failure(tensor->is_input ? PC_ERROR_INPUT_MISMATCH : PC_ERROR_USAGE,
                           "tensor '" + tensor->spec->name + "': " + std::to_string(nbytes) +
                               " bytes given, its shape holds " + std::to_string(want));
  }
}

PC_Status CopyFrom(PC_Tensor* tensor, const void* data, size_t nbytes) {
  return Guard([&] {
    Require(tensor, "tensor");
    if (!tensor->is_input) {
      throw paddlec::Failure(PC_ERROR_USAGE, "'" + tensor->spec->name + "' is an output");
    }
    CheckBytes(tensor, nbytes);
    if (nbytes > 0) Require(data, "data");
    static const tvm::ffi::Function copy =
        paddlec::RuntimeFunction("runtime.TVMTensorCopyFromBytes");
    copy(const_cast<DLTensor*>(tensor->value.GetDLTensorPtr()), const_cast<void*>(data), nbytes);
    tensor->has_data = true;
  });
}

PC_Status CopyTo(const PC_Tensor* tensor, void* data, size_t nbytes) {
  return Guard([&] {
    Require(tensor, "tensor");
    if (!tensor->has_data) {
      throw paddlec::Failure(PC_ERROR_USAGE, "tensor '" + tensor->spec->name +
                                                 "' has no data yet");
    }
    CheckBytes(tensor, nbytes);
    if (nbytes > 0) Require(data, "data");
    static const tvm::ffi::Function copy =
        paddlec::RuntimeFunction("runtime.TVMTensorCopyToBytes");
    copy(const_cast<DLTensor*>(tensor->value.GetDLTensorPtr()), data, nbytes);
  });
}

// The typed copies: the element type must be the tensor's exchanged type (uint8 also serves
// bool and the low-precision types, which travel as one byte per element).
bool TypeFits(const paddlec::TensorSpec& spec, DLDataTypeCode code, size_t bytes) {
  DLDataType type = paddlec::ExchangedType(spec);
  if (type.bits != bytes * 8 || type.lanes != 1) return false;
  return type.code == code || (code == kDLUInt && type.code == kDLBool);
}

template <typename T>
PC_Status CopyFromTyped(PC_Tensor* tensor, const T* data, DLDataTypeCode code) {
  if (tensor != nullptr) {
    if (!TypeFits(*tensor->spec, code, sizeof(T))) {
      return Fail(PC_ERROR_INPUT_MISMATCH, "input '" + tensor->spec->name + "' is " +
                                               tensor->spec->dtype + ", not the type given");
    }
  }
  return CopyFrom(tensor, data, tensor ? paddlec::TensorBytes(*tensor) : 0);
}

template <typename T>
PC_Status CopyToTyped(const PC_Tensor* tensor, T* data, DLDataTypeCode code) {
  if (tensor != nullptr) {
    if (!TypeFits(*tensor->spec, code, sizeof(T))) {
      return Fail(PC_ERROR_USAGE, "output '" + tensor->spec->name + "' is " +
                                      tensor->spec->dtype + ", not the type given");
    }
  }
  return CopyTo(tensor, data, tensor ? paddlec::TensorBytes(*tensor) : 0);
}

paddlec::Predictor* Impl(const PC_Predictor* predictor) {
  return predictor ? predictor->impl.get() : nullptr;
}

}  // namespace

extern "C" {

const char* PC_GetVersion(void) { return PADDLEC_VERSION; }
const char* PC_GetLastError(void) { return last_error.c_str(); }
PC_Status PC_GetLastErrorCode(void) { return last_code; }

PC_Config* PC_ConfigCreate(void) {
  try {
    Succeed();
    return new PC_Config();
  } catch (...) {
    Fail(PC_ERROR_INTERNAL, "out of memory");
    return nullptr;
  }
}

void PC_ConfigDestroy(PC_Config* config) { delete config; }

PC_Status PC_ConfigSetModelDir(PC_Config* config, const char* artifact_dir) {
  return Guard([&] {
    Require(config, "config");
    Require(artifact_dir, "artifact_dir");
    config->model_dir = artifact_dir;
    while (config->model_dir.size() > 1 && config->model_dir.back() == '/') {
      config->model_dir.pop_back();
    }
  });
}

PC_Status PC_ConfigSetCpuMathLibraryNumThreads(PC_Config* config, int32_t threads) {
  return Guard([&] {
    Require(config, "config");
    if (threads < 1) {
      throw paddlec::Failure(PC_ERROR_USAGE, "threads must be >= 1, got " +
                                                 std::to_string(threads));
    }
    config->threads = threads;
  });
}

PC_Status PC_ConfigSetDevice(PC_Config* config, const char* device) {
  return Guard([&] {
    Require(config, "config");
    Require(device, "device");
    config->device = device;
  });
}

PC_Status PC_ConfigAddTrustedKey(PC_Config* config, const char* pem_or_path) {
  return Guard([&] {
    Require(config, "config");
    Require(pem_or_path, "key");
    config->trusted_keys.emplace_back(pem_or_path);
  });
}

PC_Status PC_ConfigAddLibraryPath(PC_Config* config, const char* dir) {
  return Guard([&] {
    Require(config, "config");
    Require(dir, "dir");
    config->library_paths.emplace_back(dir);
  });
}

PC_Predictor* PC_PredictorCreate(const PC_Config* config) {
  std::unique_ptr<PC_Predictor> predictor(new PC_Predictor());
  PC_Status status = Guard([&] {
    Require(config, "config");
    predictor->impl = paddlec::Predictor::Create(*config);
  });
  return status == PC_OK ? predictor.release() : nullptr;
}

PC_Predictor* PC_PredictorClone(const PC_Predictor* predictor) {
  std::unique_ptr<PC_Predictor> twin(new PC_Predictor());
  PC_Status status = Guard([&] {
    Require(Impl(predictor), "predictor");
    twin->impl = predictor->impl->Clone();
  });
  return status == PC_OK ? twin.release() : nullptr;
}

void PC_PredictorDestroy(PC_Predictor* predictor) { delete predictor; }

size_t PC_PredictorGetInputNum(const PC_Predictor* predictor) {
  return Impl(predictor) ? predictor->impl->inputs().size() : 0;
}

size_t PC_PredictorGetOutputNum(const PC_Predictor* predictor) {
  return Impl(predictor) ? predictor->impl->outputs().size() : 0;
}

const char* PC_PredictorGetInputName(const PC_Predictor* predictor, size_t index) {
  if (!Impl(predictor) || index >= predictor->impl->inputs().size()) return nullptr;
  return predictor->impl->inputs()[index].spec->name.c_str();
}

const char* PC_PredictorGetOutputName(const PC_Predictor* predictor, size_t index) {
  if (!Impl(predictor) || index >= predictor->impl->outputs().size()) return nullptr;
  return predictor->impl->outputs()[index].spec->name.c_str();
}

PC_Tensor* PC_PredictorGetInputHandle(PC_Predictor* predictor, const char* name) {
  PC_Tensor* tensor = nullptr;
  Guard([&] {
    Require(Impl(predictor), "predictor");
    Require(name, "name");
    tensor = predictor->impl->Input(name);
    if (tensor == nullptr) throw paddlec::Failure(PC_ERROR_USAGE, "no input named '" +
                                                                      std::string(name) + "'");
  });
  return tensor;
}

PC_Tensor* PC_PredictorGetOutputHandle(PC_Predictor* predictor, const char* name) {
  PC_Tensor* tensor = nullptr;
  Guard([&] {
    Require(Impl(predictor), "predictor");
    Require(name, "name");
    tensor = predictor->impl->Output(name);
    if (tensor == nullptr) throw paddlec::Failure(PC_ERROR_USAGE, "no output named '" +
                                                                      std::string(name) + "'");
  });
  return tensor;
}

PC_Status PC_PredictorRun(PC_Predictor* predictor) {
  return Guard([&] {
    Require(Impl(predictor), "predictor");
    predictor->impl->Run();
  });
}

PC_Status PC_PredictorSetCpuMathLibraryNumThreads(PC_Predictor* predictor, int32_t threads) {
  return Guard([&] {
    Require(Impl(predictor), "predictor");
    if (threads < 1) {
      throw paddlec::Failure(PC_ERROR_USAGE, "threads must be >= 1, got " +
                                                 std::to_string(threads));
    }
    predictor->impl->SetNumThreads(threads);
  });
}

const char* PC_PredictorGetSigner(const PC_Predictor* predictor) {
  return Impl(predictor) ? predictor->impl->manifest().signer.c_str() : "";
}

const char* PC_TensorGetName(const PC_Tensor* tensor) {
  return tensor ? tensor->spec->name.c_str() : "";
}

PC_DataType PC_TensorGetDataType(const PC_Tensor* tensor) {
  return tensor ? PublicType(*tensor->spec) : PC_DATA_UNKNOWN;
}

const char* PC_TensorGetDataTypeName(const PC_Tensor* tensor) {
  return tensor ? tensor->spec->dtype.c_str() : "";
}

PC_Status PC_TensorReshape(PC_Tensor* tensor, size_t ndim, const int64_t* shape) {
  return Guard([&] {
    Require(tensor, "tensor");
    if (!tensor->is_input) {
      throw paddlec::Failure(PC_ERROR_USAGE, "'" + tensor->spec->name +
                                                 "' is an output: its shape comes from the run");
    }
    if (ndim > 0) Require(shape, "shape");
    tensor->owner->Reshape(tensor, std::vector<int64_t>(shape, shape + ndim));
  });
}

size_t PC_TensorGetNdim(const PC_Tensor* tensor) {
  return tensor && tensor->has_shape ? tensor->shape.size() : 0;
}

PC_Status PC_TensorGetShape(const PC_Tensor* tensor, int64_t* shape, size_t capacity) {
  return Guard([&] {
    Require(tensor, "tensor");
    if (!tensor->has_shape) {
      throw paddlec::Failure(PC_ERROR_USAGE, "tensor '" + tensor->spec->name +
                                                 "' has no shape yet");
    }
    if (capacity < tensor->shape.size()) {
      throw paddlec::Failure(PC_ERROR_USAGE, "shape buffer too small: the tensor has " +
                                                 std::to_string(tensor->shape.size()) + " dims");
    }
    if (!tensor->shape.empty()) Require(shape, "shape");
    std::memcpy(shape, tensor->shape.data(), tensor->shape.size() * sizeof(int64_t));
  });
}

size_t PC_TensorGetNumBytes(const PC_Tensor* tensor) {
  return tensor ? paddlec::TensorBytes(*tensor) : 0;
}

size_t PC_TensorGetDeclaredNdim(const PC_Tensor* tensor) {
  return tensor ? tensor->spec->shape.size() : 0;
}

PC_Status PC_TensorGetDeclaredDim(const PC_Tensor* tensor, size_t index, int64_t* size,
                                  const char** name) {
  return Guard([&] {
    Require(tensor, "tensor");
    if (index >= tensor->spec->shape.size()) {
      throw paddlec::Failure(PC_ERROR_USAGE, "dimension index out of range");
    }
    const auto& dim = tensor->spec->shape[index];
    if (size) *size = dim.size;
    if (name) *name = dim.name.c_str();
  });
}

PC_Status PC_TensorCopyFromCpu(PC_Tensor* tensor, const void* data, size_t nbytes) {
  return CopyFrom(tensor, data, nbytes);
}

PC_Status PC_TensorCopyToCpu(const PC_Tensor* tensor, void* data, size_t nbytes) {
  return CopyTo(tensor, data, nbytes);
}

PC_Status PC_TensorCopyFromCpuFloat(PC_Tensor* t, const float* d) {
  return CopyFromTyped(t, d, kDLFloat);
}
PC_Status PC_TensorCopyFromCpuInt64(PC_Tensor* t, const int64_t* d) {
  return CopyFromTyped(t, d, kDLInt);
}
PC_Status PC_TensorCopyFromCpuInt32(PC_Tensor* t, const int32_t* d) {
  return CopyFromTyped(t, d, kDLInt);
}
PC_Status PC_TensorCopyFromCpuUint8(PC_Tensor* t, const uint8_t* d) {
  return CopyFromTyped(t, d, kDLUInt);
}
PC_Status PC_TensorCopyFromCpuInt8(PC_Tensor* t, const int8_t* d) {
  return CopyFromTyped(t, d, kDLInt);
}
PC_Status PC_TensorCopyToCpuFloat(const PC_Tensor* t, float* d) {
  return CopyToTyped(t, d, kDLFloat);
}
PC_Status PC_TensorCopyToCpuInt64(const PC_Tensor* t, int64_t* d) {
  return CopyToTyped(t, d, kDLInt);
}
PC_Status PC_TensorCopyToCpuInt32(const PC_Tensor* t, int32_t* d) {
  return CopyToTyped(t, d, kDLInt);
}
PC_Status PC_TensorCopyToCpuUint8(const PC_Tensor* t, uint8_t* d) {
  return CopyToTyped(t, d, kDLUInt);
}
PC_Status PC_TensorCopyToCpuInt8(const PC_Tensor* t, int8_t* d) {
  return CopyToTyped(t, d, kDLInt);
}

}  // extern "C"
