// sha256 of files and ed25519 signature checks, with OpenSSL's libcrypto.
#pragma once

#include <string>
#include <vector>

namespace paddlec {

// Lowercase hex sha256 of a file's bytes; throws Failure(PC_ERROR_ARTIFACT) if unreadable.
std::string Sha256File(const std::string& path);

// Checks `folder/manifest.sig` over `manifest_bytes` against the trusted keys (PEM texts or
// paths to PEM files); returns the signer's fingerprint (first 16 hex digits of the sha256
// of its raw public key) or throws Failure(PC_ERROR_SIGNATURE).
std::string VerifyManifestSignature(const std::string& folder, const std::string& manifest_bytes,
                                    const std::vector<std::string>& trusted_keys);

}  // namespace paddlec
