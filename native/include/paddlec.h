/*
 * paddlec runtime, C API: load a compiled artifact folder and run it, without Python.
 *
 * Shaped like Paddle Inference's C API (config -> predictor -> tensor handles -> run):
 *
 *   PC_Config* config = PC_ConfigCreate();
 *   PC_ConfigSetModelDir(config, "build/resnet_tiny");
 *   PC_Predictor* predictor = PC_PredictorCreate(config);   // NULL on failure
 *   if (!predictor) fprintf(stderr, "%s\n", PC_GetLastError());
 *   PC_Tensor* image = PC_PredictorGetInputHandle(predictor, "image");
 *   int64_t shape[4] = {1, 3, 64, 64};
 *   PC_TensorReshape(image, 4, shape);
 *   PC_TensorCopyFromCpu(image, data, sizeof(float) * 1 * 3 * 64 * 64);
 *   PC_PredictorRun(predictor);
 *   PC_Tensor* probs = PC_PredictorGetOutputHandle(predictor, "probs");
 *   PC_TensorCopyToCpu(probs, out, PC_TensorGetNumBytes(probs));
 *   PC_PredictorDestroy(predictor);
 *   PC_ConfigDestroy(config);
 *
 * Before model.so is loaded, the runtime checks the manifest (format version, the type of
 * every field it reads), the sha256 of every file it lists and, when trusted keys are set,
 * the ed25519 signature of the manifest (the rules are those of the Python runtime;
 * docs/artifact-format.md). Every function reports failure through its return value and
 * PC_GetLastError() / PC_GetLastErrorCode() of the calling thread; none aborts the process.
 *
 * Ownership: objects from *Create / *Clone are the caller's (free with *Destroy); tensor
 * handles and returned strings belong to their predictor and live as long as it does.
 * A predictor is used by one thread at a time; PC_PredictorClone gives another thread its
 * own (sharing the loaded library and weights).
 */
#ifndef PADDLEC_H_
#define PADDLEC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define PC_API __declspec(dllexport)
#else
#define PC_API __attribute__((visibility("default")))
#endif

typedef enum {
  PC_OK = 0,
  PC_ERROR_ARTIFACT = 1,       /* missing, incomplete, tampered or malformed artifact */
  PC_ERROR_SIGNATURE = 2,      /* unsigned / untrusted signer / manifest changed after signing */
  PC_ERROR_INPUT_MISMATCH = 3, /* a fed shape or size does not fit the model (names the input) */
  PC_ERROR_DEVICE = 4,         /* the artifact's device is not available here */
  PC_ERROR_EXECUTION = 5,      /* the compiled model failed while running */
  PC_ERROR_USAGE = 6,          /* bad argument, unknown name, call out of order */
  PC_ERROR_INTERNAL = 7
} PC_Status;

typedef enum {
  PC_DATA_FLOAT32 = 0,
  PC_DATA_FLOAT16 = 1,
  PC_DATA_FLOAT64 = 2,
  PC_DATA_BFLOAT16 = 3,
  PC_DATA_INT64 = 4,
  PC_DATA_INT32 = 5,
  PC_DATA_INT16 = 6,
  PC_DATA_INT8 = 7,
  PC_DATA_UINT8 = 8,
  PC_DATA_BOOL = 9, /* one byte per element, 0 or 1 */
  /* float8 / float4 / int4 / int2: one byte per element holding the bit pattern (see
     PC_TensorGetDataTypeName for which type) */
  PC_DATA_LOW_PRECISION = 10,
  PC_DATA_UNKNOWN = -1
} PC_DataType;

typedef struct PC_Config PC_Config;
typedef struct PC_Predictor PC_Predictor;
typedef struct PC_Tensor PC_Tensor;

PC_API const char* PC_GetVersion(void);
/* The message / code of the last failure in this thread ("" / PC_OK after a success). */
PC_API const char* PC_GetLastError(void);
PC_API PC_Status PC_GetLastErrorCode(void);

PC_API PC_Config* PC_ConfigCreate(void);
PC_API void PC_ConfigDestroy(PC_Config* config);
/* The artifact folder written by `paddlec compile`. */
PC_API PC_Status PC_ConfigSetModelDir(PC_Config* config, const char* artifact_dir);
PC_API PC_Status PC_ConfigSetCpuMathLibraryNumThreads(PC_Config* config, int32_t threads);
/* "cpu" (default), "cuda" or "cuda:N". */
PC_API PC_Status PC_ConfigSetDevice(PC_Config* config, const char* device);
/* An ed25519 public key (PEM text, or the path of a PEM file); once one is added, only
   artifacts signed by an added key are accepted. */
PC_API PC_Status PC_ConfigAddTrustedKey(PC_Config* config, const char* pem_or_path);
/* A folder searched first for the shared libraries an artifact needs (libdnnl.so.3...). */
PC_API PC_Status PC_ConfigAddLibraryPath(PC_Config* config, const char* dir);

/* NULL on failure (see PC_GetLastError). The config is not consumed. */
PC_API PC_Predictor* PC_PredictorCreate(const PC_Config* config);
PC_API PC_Predictor* PC_PredictorClone(const PC_Predictor* predictor);
PC_API void PC_PredictorDestroy(PC_Predictor* predictor);
PC_API size_t PC_PredictorGetInputNum(const PC_Predictor* predictor);
PC_API size_t PC_PredictorGetOutputNum(const PC_Predictor* predictor);
/* NULL when the index is out of range. */
PC_API const char* PC_PredictorGetInputName(const PC_Predictor* predictor, size_t index);
PC_API const char* PC_PredictorGetOutputName(const PC_Predictor* predictor, size_t index);
/* NULL for an unknown name. */
PC_API PC_Tensor* PC_PredictorGetInputHandle(PC_Predictor* predictor, const char* name);
PC_API PC_Tensor* PC_PredictorGetOutputHandle(PC_Predictor* predictor, const char* name);
PC_API PC_Status PC_PredictorRun(PC_Predictor* predictor);
/* Threads of the compiled kernels from now on (process-wide OpenMP team on fast-path CPU
   artifacts, the calling thread's TVM pool otherwise). */
PC_API PC_Status PC_PredictorSetCpuMathLibraryNumThreads(PC_Predictor* predictor,
                                                         int32_t threads);
/* The fingerprint of the trusted key that signed the artifact ("" when not checked). */
PC_API const char* PC_PredictorGetSigner(const PC_Predictor* predictor);

PC_API const char* PC_TensorGetName(const PC_Tensor* tensor);
PC_API PC_DataType PC_TensorGetDataType(const PC_Tensor* tensor);
/* numpy / ml_dtypes spelling: "float32", "int64", "float8_e4m3fn"... */
PC_API const char* PC_TensorGetDataTypeName(const PC_Tensor* tensor);
/* Inputs: set the shape of the next run (checked against the model's declared shape). */
PC_API PC_Status PC_TensorReshape(PC_Tensor* tensor, size_t ndim, const int64_t* shape);
/* The current shape: an input's from Reshape, an output's from the last run. */
PC_API size_t PC_TensorGetNdim(const PC_Tensor* tensor);
PC_API PC_Status PC_TensorGetShape(const PC_Tensor* tensor, int64_t* shape, size_t capacity);
PC_API size_t PC_TensorGetNumBytes(const PC_Tensor* tensor);
/* The declared shape: -1 and the dimension's name for a symbolic dimension. */
PC_API size_t PC_TensorGetDeclaredNdim(const PC_Tensor* tensor);
PC_API PC_Status PC_TensorGetDeclaredDim(const PC_Tensor* tensor, size_t index, int64_t* size,
                                         const char** name);
/* nbytes must equal PC_TensorGetNumBytes (element size x element count of the shape). */
PC_API PC_Status PC_TensorCopyFromCpu(PC_Tensor* tensor, const void* data, size_t nbytes);
PC_API PC_Status PC_TensorCopyToCpu(const PC_Tensor* tensor, void* data, size_t nbytes);
/* Typed variants: the element type must be the tensor's, the count that of its shape. */
PC_API PC_Status PC_TensorCopyFromCpuFloat(PC_Tensor* tensor, const float* data);
PC_API PC_Status PC_TensorCopyFromCpuInt64(PC_Tensor* tensor, const int64_t* data);
PC_API PC_Status PC_TensorCopyFromCpuInt32(PC_Tensor* tensor, const int32_t* data);
PC_API PC_Status PC_TensorCopyFromCpuUint8(PC_Tensor* tensor, const uint8_t* data);
PC_API PC_Status PC_TensorCopyFromCpuInt8(PC_Tensor* tensor, const int8_t* data);
PC_API PC_Status PC_TensorCopyToCpuFloat(const PC_Tensor* tensor, float* data);
PC_API PC_Status PC_TensorCopyToCpuInt64(const PC_Tensor* tensor, int64_t* data);
PC_API PC_Status PC_TensorCopyToCpuInt32(const PC_Tensor* tensor, int32_t* data);
PC_API PC_Status PC_TensorCopyToCpuUint8(const PC_Tensor* tensor, uint8_t* data);
PC_API PC_Status PC_TensorCopyToCpuInt8(const PC_Tensor* tensor, int8_t* data);

#ifdef __cplusplus
}
#endif

#endif /* PADDLEC_H_ */
