/* Run a paddlec artifact from C: every input gets seeded values (or the .bin files given),
 * every output is summarized (or written to a .bin file).
 *
 *   cc main.c -Iinclude -Llib -lpaddlec_runtime -Wl,-rpath,'$ORIGIN/lib' -o run_model
 *   ./run_model ARTIFACT [--trusted-key KEY.pub] [--threads N] [--dim NAME=SIZE]...
 *               [--input NAME=FILE.bin]... [--out DIR]
 *
 * Symbolic dimensions are 1 unless --dim sets them; an --input file holds the input's raw
 * bytes (C order, its dtype). Exit status: 0 ok, 2 the runtime refused the artifact or an
 * input (its message on stderr), 1 anything else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paddlec.h"

static int fail(const char* what) {
  fprintf(stderr, "error: %s: %s (code %d)\n", what, PC_GetLastError(), PC_GetLastErrorCode());
  return PC_GetLastErrorCode() == PC_ERROR_INTERNAL ? 1 : 2;
}

static int64_t dim_size(const char* name, int argc, char** argv) {
  size_t n = strlen(name);
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--dim") == 0 && strncmp(argv[i + 1], name, n) == 0 &&
        argv[i + 1][n] == '=') {
      return atoll(argv[i + 1] + n + 1);
    }
  }
  return 1;
}

/* fill: floats in [-1, 1), integers in [0, 10), from a fixed linear congruential sequence */
static void fill(PC_Tensor* tensor, void* data, size_t bytes) {
  uint32_t state = 12345;
  PC_DataType type = PC_TensorGetDataType(tensor);
  if (type == PC_DATA_FLOAT32) {
    float* values = (float*)data;
    for (size_t i = 0; i < bytes / sizeof(float); ++i) {
      state = state * 1664525u + 1013904223u;
      values[i] = (float)(state >> 8) / (float)(1u << 23) - 1.0f;
    }
  } else if (type == PC_DATA_INT64) {
    int64_t* values = (int64_t*)data;
    for (size_t i = 0; i < bytes / sizeof(int64_t); ++i) values[i] = (int64_t)(i % 10);
  } else {
    memset(data, 0, bytes);
  }
}

/* the bytes of NAME's --input file, or NULL; *size gets their count */
static void* input_file(const char* name, int argc, char** argv, size_t* size) {
  size_t n = strlen(name);
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--input") != 0 || strncmp(argv[i + 1], name, n) != 0 ||
        argv[i + 1][n] != '=') {
      continue;
    }
    FILE* file = fopen(argv[i + 1] + n + 1, "rb");
    if (file == NULL) return NULL;
    fseek(file, 0, SEEK_END);
    *size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    void* data = malloc(*size ? *size : 1);
    if (fread(data, 1, *size, file) != *size) *size = 0;
    fclose(file);
    return data;
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ARTIFACT [--trusted-key KEY.pub] [--threads N] "
                    "[--dim NAME=SIZE]... [--out DIR]\n", argv[0]);
    return 1;
  }
  const char* out_dir = NULL;
  PC_Config* config = PC_ConfigCreate();
  PC_ConfigSetModelDir(config, argv[1]);
  for (int i = 2; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--trusted-key") == 0) PC_ConfigAddTrustedKey(config, argv[++i]);
    else if (strcmp(argv[i], "--threads") == 0)
      PC_ConfigSetCpuMathLibraryNumThreads(config, atoi(argv[++i]));
    else if (strcmp(argv[i], "--out") == 0) out_dir = argv[++i];
  }
  PC_Predictor* predictor = PC_PredictorCreate(config);
  PC_ConfigDestroy(config);
  if (predictor == NULL) return fail("loading the artifact");
  if (PC_PredictorGetSigner(predictor)[0]) {
    printf("signature: verified, key %s\n", PC_PredictorGetSigner(predictor));
  }
  for (size_t i = 0; i < PC_PredictorGetInputNum(predictor); ++i) {
    PC_Tensor* input = PC_PredictorGetInputHandle(predictor, PC_PredictorGetInputName(predictor, i));
    size_t ndim = PC_TensorGetDeclaredNdim(input);
    int64_t shape[16];
    for (size_t d = 0; d < ndim && d < 16; ++d) {
      const char* name = NULL;
      PC_TensorGetDeclaredDim(input, d, &shape[d], &name);
      if (shape[d] < 0) shape[d] = dim_size(name, argc, argv);
    }
    if (PC_TensorReshape(input, ndim, shape) != PC_OK) return fail("reshaping an input");
    size_t bytes = PC_TensorGetNumBytes(input);
    void* data = input_file(PC_TensorGetName(input), argc, argv, &bytes);
    if (data == NULL) {
      data = malloc(bytes ? bytes : 1);
      fill(input, data, bytes);
    }
    if (PC_TensorCopyFromCpu(input, data, bytes) != PC_OK) return fail("feeding an input");
    free(data);
  }
  if (PC_PredictorRun(predictor) != PC_OK) return fail("running the model");
  for (size_t i = 0; i < PC_PredictorGetOutputNum(predictor); ++i) {
    const char* name = PC_PredictorGetOutputName(predictor, i);
    PC_Tensor* output = PC_PredictorGetOutputHandle(predictor, name);
    size_t bytes = PC_TensorGetNumBytes(output);
    unsigned char* data = (unsigned char*)malloc(bytes ? bytes : 1);
    if (PC_TensorCopyToCpu(output, data, bytes) != PC_OK) return fail("reading an output");
    int64_t shape[16];
    size_t ndim = PC_TensorGetNdim(output);
    PC_TensorGetShape(output, shape, 16);
    printf("%s: %s[", name, PC_TensorGetDataTypeName(output));
    for (size_t d = 0; d < ndim; ++d) printf(d ? "x%lld" : "%lld", (long long)shape[d]);
    printf("]");
    if (PC_TensorGetDataType(output) == PC_DATA_FLOAT32 && bytes >= sizeof(float)) {
      const float* values = (const float*)data;
      double sum = 0;
      for (size_t k = 0; k < bytes / sizeof(float); ++k) sum += values[k];
      printf(" first %.6g sum %.6g", values[0], sum);
    }
    printf("\n");
    if (out_dir != NULL) {
      char path[4096];
      snprintf(path, sizeof(path), "%s/%s.bin", out_dir, name);
      FILE* file = fopen(path, "wb");
      if (file == NULL || fwrite(data, 1, bytes, file) != bytes) {
        fprintf(stderr, "error: cannot write %s\n", path);
        return 1;
      }
      fclose(file);
    }
    free(data);
  }
  PC_PredictorDestroy(predictor);
  return 0;
}
