// manifest.json: parsed and checked with the rules of the Python runtime
// (paddlec/runtime/manifest.py, docs/artifact-format.md) before anything is loaded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace paddlec {

struct Dim {
  int64_t size = -1;  // -1: symbolic, named by `name`
  std::string name;
};

struct TensorSpec {
  std::string name;
  std::string dtype;    // numpy / ml_dtypes spelling
  std::string storage;  // "uint8" for low-precision types, else empty
  std::vector<Dim> shape;
};

struct NativeLibrary {
  std::string soname;
  std::string package;
};

struct Manifest {
  std::string folder;
  std::string library;
  std::string device = "cpu";
  std::string target_given;
  std::vector<TensorSpec> inputs, outputs;
  std::map<std::string, std::string> files;  // relative name -> sha256 hex
  std::vector<NativeLibrary> native_libraries;
  std::string batch_one_function;
  std::vector<int64_t> batch_one_inputs;
  std::map<std::string, std::pair<int64_t, int64_t>> dim_ranges;  // symbolic dim -> min, max
  bool has_tensorrt_regions = false;
  std::string signer;  // fingerprint of the trusted key that signed it, when checked
};

// Reads folder/manifest.json; with trusted keys (PEM texts or paths) checks its signature
// on the bytes it then parses; verifies every listed file's sha256. Throws Failure.
Manifest ReadManifest(const std::string& folder, const std::vector<std::string>& trusted_keys);

}  // namespace paddlec
