// The rules here are those of paddlec/runtime/manifest.py (manifest_problem); a test feeds
// both the same malformed manifests (tests/native/test_c_runtime.py).
#include "manifest.h"

#include <tvm/ffi/extra/json.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "crypto.h"
#include "failure.h"

namespace paddlec {
namespace {

namespace json = tvm::ffi::json;
using tvm::ffi::Any;

constexpr int64_t kFormatVersion = 1;

[[noreturn]] void Malformed(const std::string& path, const std::string& problem) {
  throw Failure(PC_ERROR_ARTIFACT, path + ": malformed manifest: " + problem);
}

bool IsString(const Any& value) {
  int index = value.type_index();
  return index == kTVMFFIStr || index == kTVMFFISmallStr;
}

std::string AsString(const Any& value) { return std::string(value.cast<tvm::ffi::String>()); }

bool IsName(const Any& value) {
  if (!IsString(value)) return false;
  std::string text = AsString(value);
  return !text.empty() && text.find('\0') == std::string::npos;
}

bool IsInt(const Any& value) { return value.type_index() == kTVMFFIInt; }

bool IsRelativeFile(const Any& value) {
  if (!IsName(value)) return false;
  std::string name = AsString(value);
  if (name[0] == '/') return false;
  std::stringstream parts(name);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part == "..") return false;
  }
  return true;
}

std::optional<Any> Find(const json::Object& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  return (*it).second;
}

bool IsObject(const Any& value) { return value.type_index() == kTVMFFIMap; }
bool IsArray(const Any& value) { return value.type_index() == kTVMFFIArray; }

// numpy dtype names the runtime exchanges (a low-precision type carries storage "uint8")
bool IsKnownDtype(const std::string& dtype) {
  static const std::set<std::string> known = {
      "float32", "float16", "float64", "bfloat16", "int64", "int32", "int16", "int8",
      "uint64",  "uint32",  "uint16",  "uint8",    "bool"};
  return known.count(dtype) > 0;
}

TensorSpec ParseSpec(const Any& item, const std::string& where, const std::string& path) {
  if (!IsObject(item)) Malformed(path, where + ": not a tensor description with a name");
  auto object = item.cast<json::Object>();
  std::optional<Any> name = Find(object, "name");
  if (!name || !IsName(*name)) {
    Malformed(path, where + ": not a tensor description with a name");
  }
  TensorSpec spec;
  spec.name = AsString(*name);
  std::optional<Any> shape = Find(object, "shape");
  if (!shape || !IsArray(*shape)) {
    Malformed(path, where + " '" + spec.name + "': shape must list sizes >= 0 or names");
  }
  for (const Any& dim : shape->cast<json::Array>()) {
    if (IsInt(dim) && dim.cast<int64_t>() >= 0) {
      spec.shape.push_back({dim.cast<int64_t>(), ""});
    } else if (IsName(dim)) {
      spec.shape.push_back({-1, AsString(dim)});
    } else {
      Malformed(path, where + " '" + spec.name + "': shape must list sizes >= 0 or names");
    }
  }
  std::optional<Any> dtype = Find(object, "dtype");
  std::optional<Any> storage = Find(object, "storage");
  bool has_storage = storage.has_value() && storage->type_index() != kTVMFFINone;
  if (!dtype || !IsName(*dtype) ||
      (has_storage && !(IsString(*storage) && AsString(*storage) == "uint8"))) {
    Malformed(path, where + " '" + spec.name + "': bad dtype / storage");
  }
  spec.dtype = AsString(*dtype);
  if (has_storage) {
    spec.storage = "uint8";
  } else if (!IsKnownDtype(spec.dtype)) {
    Malformed(path, where + " '" + spec.name + "': unknown dtype '" + spec.dtype + "'");
  }
  return spec;
}

std::vector<TensorSpec> ParseSpecs(const json::Object& raw, const char* key,
                                   const std::string& path) {
  std::optional<Any> list = Find(raw, key);
  if (!IsArray(*list)) Malformed(path, std::string(key) + " must be a list");
  std::vector<TensorSpec> specs;
  std::set<std::string> names;
  size_t index = 0;
  for (const Any& item : list->cast<json::Array>()) {
    specs.push_back(ParseSpec(item, std::string(key) + "[" + std::to_string(index++) + "]",
                              path));
    if (!names.insert(specs.back().name).second) {
      Malformed(path, std::string(key) + ": names must be unique");
    }
  }
  return specs;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(PC_ERROR_ARTIFACT, path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsDirectory(const std::string& path) {
  std::ifstream probe(path + "/.");
  return static_cast<bool>(probe) || std::ifstream(path + "/manifest.json").good();
}

}  // namespace

Manifest ReadManifest(const std::string& folder, const std::vector<std::string>& trusted_keys) {
  std::string path = folder + "/manifest.json";
  if (!std::ifstream(path).good()) {
    throw Failure(PC_ERROR_ARTIFACT,
                  folder + (IsDirectory(folder)
                                ? ": not an artifact folder (manifest.json is missing)"
                                : ": not an artifact folder (no such directory)"));
  }
  std::string bytes = ReadBytes(path);
  Manifest manifest;
  manifest.folder = folder;
  if (!trusted_keys.empty()) {  // on the very bytes parsed below
    manifest.signer = VerifyManifestSignature(folder, bytes, trusted_keys);
  }
  tvm::ffi::String error;
  json::Value parsed = json::Parse(bytes, &error);
  if (!error.empty()) {
    throw Failure(PC_ERROR_ARTIFACT, path + ": unreadable manifest: " + std::string(error));
  }
  if (!IsObject(parsed)) Malformed(path, "not a JSON object");
  auto raw = parsed.cast<json::Object>();
  std::optional<Any> version = Find(raw, "format_version");
  if (!version || !IsInt(*version) || version->cast<int64_t>() != kFormatVersion) {
    throw Failure(PC_ERROR_ARTIFACT, path + ": artifact format version is not " +
                                         std::to_string(kFormatVersion) +
                                         "; recompile the model with a matching paddlec");
  }
  std::string missing;
  for (const char* key : {"inputs", "outputs", "files", "library", "target"}) {
    if (!Find(raw, key)) missing += (missing.empty() ? "" : ", ") + std::string(key);
  }
  if (!missing.empty()) Malformed(path, "missing " + missing);
  Any files = *Find(raw, "files");
  if (!IsObject(files)) Malformed(path, "files must map relative file names to sha256 digests");
  for (const auto& [name, digest] : files.cast<json::Object>()) {
    if (!IsRelativeFile(name) || !IsString(digest) || AsString(digest).size() != 64) {
      Malformed(path, "files must map relative file names to sha256 digests");
    }
    manifest.files[AsString(name)] = AsString(digest);
  }
  Any library = *Find(raw, "library");
  if (!IsRelativeFile(library) || manifest.files.count(AsString(library)) == 0) {
    Malformed(path, "library must be one of the listed (checksummed) files");
  }
  manifest.library = AsString(library);
  Any target = *Find(raw, "target");
  if (!IsObject(target)) Malformed(path, "target must be an object");
  auto target_object = target.cast<json::Object>();
  if (std::optional<Any> device = Find(target_object, "device")) {
    if (!IsString(*device) || (AsString(*device) != "cpu" && AsString(*device) != "cuda")) {
      Malformed(path, "target must be an object whose device is 'cpu' or 'cuda'");
    }
    manifest.device = AsString(*device);
  }
  if (std::optional<Any> given = Find(target_object, "given"); given && IsString(*given)) {
    manifest.target_given = AsString(*given);
  }
  manifest.inputs = ParseSpecs(raw, "inputs", path);
  manifest.outputs = ParseSpecs(raw, "outputs", path);
  if (std::optional<Any> libraries = Find(raw, "native_libraries")) {
    const char* problem = "native_libraries must list {soname, package} with bare names";
    if (!IsArray(*libraries)) Malformed(path, problem);
    for (const Any& entry : libraries->cast<json::Array>()) {
      if (!IsObject(entry)) Malformed(path, problem);
      auto object = entry.cast<json::Object>();
      std::optional<Any> soname = Find(object, "soname");
      std::optional<Any> package = Find(object, "package");
      if (!soname || !IsName(*soname) ||
          AsString(*soname).find('/') != std::string::npos ||
          (package.has_value() && package->type_index() != kTVMFFINone && !IsName(*package))) {
        Malformed(path, problem);
      }
      manifest.native_libraries.push_back(
          {AsString(*soname),
           package && package->type_index() != kTVMFFINone ? AsString(*package) : ""});
    }
  }
  if (std::optional<Any> batch_one = Find(raw, "batch_one");
      batch_one && batch_one->type_index() != kTVMFFINone) {
    const char* problem = "batch_one must name a function and input positions";
    if (!IsObject(*batch_one)) Malformed(path, problem);
    auto object = batch_one->cast<json::Object>();
    std::optional<Any> function = Find(object, "function");
    if (!function || !IsName(*function)) Malformed(path, problem);
    manifest.batch_one_function = AsString(*function);
    if (std::optional<Any> positions = Find(object, "inputs")) {
      if (!IsArray(*positions)) Malformed(path, problem);
      for (const Any& position : positions->cast<json::Array>()) {
        if (!IsInt(position) || position.cast<int64_t>() < 0 ||
            position.cast<int64_t>() >= static_cast<int64_t>(manifest.inputs.size())) {
          Malformed(path, problem);
        }
        manifest.batch_one_inputs.push_back(position.cast<int64_t>());
      }
    }
  }
  if (std::optional<Any> ranges = Find(raw, "dim_ranges");
      ranges && ranges->type_index() != kTVMFFINone) {
    const char* problem = "dim_ranges must map dimension names to [min, max]";
    if (!IsObject(*ranges)) Malformed(path, problem);
    for (const auto& [name, bounds] : ranges->cast<json::Object>()) {
      if (!IsName(name) || !IsArray(bounds)) Malformed(path, problem);
      auto pair = bounds.cast<json::Array>();
      if (pair.size() != 2 || !IsInt(pair[0]) || !IsInt(pair[1])) Malformed(path, problem);
      int64_t low = pair[0].cast<int64_t>(), high = pair[1].cast<int64_t>();
      if (low < 0 || low > high) Malformed(path, problem);
      manifest.dim_ranges[AsString(name)] = {low, high};
    }
  }
  for (const char* key : {"tensorrt", "cuda", "cpu", "source"}) {
    std::optional<Any> value = Find(raw, key);
    if (value && value->type_index() != kTVMFFINone && !IsObject(*value)) {
      Malformed(path, std::string(key) + " must be an object");
    }
  }
  for (const char* key : {"passes", "runtime_functions"}) {
    std::optional<Any> value = Find(raw, key);
    if (value && value->type_index() != kTVMFFINone && !IsArray(*value)) {
      Malformed(path, std::string(key) + " must be a list");
    }
  }
  if (std::optional<Any> tensorrt = Find(raw, "tensorrt"); tensorrt && IsObject(*tensorrt)) {
    std::optional<Any> regions = Find(tensorrt->cast<json::Object>(), "regions");
    manifest.has_tensorrt_regions =
        regions && IsArray(*regions) && !regions->cast<json::Array>().empty();
  }
  for (const auto& [name, expected] : manifest.files) {  // before any native code is loaded
    std::string file = folder + "/" + name;
    if (!std::ifstream(file).good()) {
      throw Failure(PC_ERROR_ARTIFACT, folder + ": artifact is incomplete, " + name +
                                           " is missing");
    }
    if (Sha256File(file) != expected) {
      throw Failure(PC_ERROR_ARTIFACT, file + ": checksum mismatch (the file changed after "
                                              "compilation); refusing to load it");
    }
  }
  return manifest;
}

}  // namespace paddlec
