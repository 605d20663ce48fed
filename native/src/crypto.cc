// sha256 and ed25519 (and the signature's base64) with OpenSSL 3's libcrypto; the signature
// file's JSON with tvm-ffi's parser. manifest.sig is written by paddlec/compiler/signing.py.
#include "crypto.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <tvm/ffi/extra/json.h>

#include "failure.h"

namespace paddlec {
namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string ReadFile(const std::string& path, PC_Status code) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(code, path + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Strict base64 (no whitespace); throws on anything else.
std::string Base64Decode(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() % 4 != 0) {
    throw Failure(PC_ERROR_SIGNATURE, what + ": not base64");
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(&out[0]),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) throw Failure(PC_ERROR_SIGNATURE, what + ": not base64");
  size_t padding = (text[text.size() - 1] == '=') + (text[text.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Key LoadPublicKey(const std::string& pem_or_path) {
  std::string pem = pem_or_path;
  if (pem_or_path.find("-----BEGIN") == std::string::npos) {  // a path
    std::ifstream in(pem_or_path, std::ios::binary);
    if (!in) {
      throw Failure(PC_ERROR_SIGNATURE, "trusted key " + pem_or_path.substr(0, 80) +
                                            ": not a PEM public key (cannot read the file)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    pem = text.str();
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(),
                                                                static_cast<int>(pem.size())),
                                                BIO_free);
  Key key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    throw Failure(PC_ERROR_SIGNATURE, "trusted key " + pem_or_path.substr(0, 80) +
                                          ": not a PEM public key");
  }
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    throw Failure(PC_ERROR_SIGNATURE,
                  "trusted key " + pem_or_path.substr(0, 80) + ": not an ed25519 key");
  }
  return key;
}

std::string RawPublicKey(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t size = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != sizeof(raw)) {
    throw Failure(PC_ERROR_SIGNATURE, "cannot read an ed25519 public key");
  }
  return std::string(reinterpret_cast<char*>(raw), size);
}

std::string Fingerprint(const std::string& raw_key) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(raw_key.data(), raw_key.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size).substr(0, 16);
}

std::string StringField(const tvm::ffi::json::Object& doc, const char* key,
                        const std::string& path) {
  auto it = doc.find(key);
  if (it == doc.end()) throw Failure(PC_ERROR_SIGNATURE, path + ": unreadable signature");
  auto value = (*it).second.try_cast<tvm::ffi::String>();
  if (!value) throw Failure(PC_ERROR_SIGNATURE, path + ": unreadable signature");
  return std::string(*value);
}

}  // namespace

std::string Sha256File(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw Failure(PC_ERROR_ARTIFACT, path + ": cannot read");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                               EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<unsigned char> buffer(1 << 20);
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    EVP_DigestUpdate(ctx.get(), buffer.data(), n);
  }
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) throw Failure(PC_ERROR_ARTIFACT, path + ": read error");
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  return Hex(digest, size);
}

std::string VerifyManifestSignature(const std::string& folder, const std::string& manifest_bytes,
                                    const std::vector<std::string>& trusted_keys) {
  std::vector<Key> keys;
  for (const auto& text : trusted_keys) keys.push_back(LoadPublicKey(text));
  if (keys.empty()) {
    throw Failure(PC_ERROR_SIGNATURE, "no trusted keys: no artifact could be accepted");
  }
  std::string path = folder + "/manifest.sig";
  std::ifstream probe(path, std::ios::binary);
  if (!probe) {
    throw Failure(PC_ERROR_SIGNATURE, folder + ": the artifact is not signed (manifest.sig is "
                                               "missing) and trusted keys were given");
  }
  tvm::ffi::String error;
  tvm::ffi::json::Value parsed =
      tvm::ffi::json::Parse(ReadFile(path, PC_ERROR_SIGNATURE), &error);
  auto doc = parsed.try_cast<tvm::ffi::json::Object>();
  if (!error.empty() || !doc) throw Failure(PC_ERROR_SIGNATURE, path + ": unreadable signature");
  if (StringField(*doc, "algorithm", path) != "ed25519") {
    throw Failure(PC_ERROR_SIGNATURE, path + ": signature algorithm is not ed25519");
  }
  std::string signer = Base64Decode(StringField(*doc, "public_key", path), path);
  std::string signature = Base64Decode(StringField(*doc, "signature", path), path);
  for (const auto& key : keys) {
    if (RawPublicKey(key.get()) != signer) continue;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                 EVP_MD_CTX_free);
    bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
              EVP_DigestVerify(ctx.get(),
                               reinterpret_cast<const unsigned char*>(signature.data()),
                               signature.size(),
                               reinterpret_cast<const unsigned char*>(manifest_bytes.data()),
                               manifest_bytes.size()) == 1;
    if (!ok) {
      throw Failure(PC_ERROR_SIGNATURE, folder + ": the signature does not match "
                                                 "manifest.json (it changed after signing); "
                                                 "refusing to load it");
    }
    return Fingerprint(signer);
  }
  throw Failure(PC_ERROR_SIGNATURE, folder + ": signed by key " + Fingerprint(signer) +
                                        ", which is not among the trusted keys");
}

}  // namespace paddlec
