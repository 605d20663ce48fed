"""Signed artifacts: an ed25519 signature over the exact bytes of ``manifest.json``.

An artifact is native code, and the manifest lists the sha256 of every file in it, so a
signature over the manifest covers ``model.so`` and everything else. The signature lives
beside it in ``manifest.sig`` (JSON: algorithm, the signer's public key, the signature, all
base64). ``read_manifest(..., trusted_keys=...)`` checks it against the caller's keys on the
same bytes it then parses, before any file is hashed or loaded. Unsigned loading (checksums
only) stays the default. Needs the ``cryptography`` package only when keys are used.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError, SignatureError

__all__ = ["SIGNATURE_NAME", "PublicKeys", "fingerprint", "load_public_keys",
           "signature_document", "verify_manifest_signature"]

SIGNATURE_NAME = "manifest.sig"
ALGORITHM = "ed25519"

# a PEM public key (bytes or text), a path to one, or a cryptography Ed25519PublicKey
PublicKeys = Iterable[Any]


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MissingDependencyError(
            "signed artifacts need the cryptography package (pip install 'paddlec[sign]')"
        ) from None
    return ed25519


def _raw(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(raw_public_key: bytes) -> str:
    """A short name for a key: the first 16 hex digits of the sha256 of its 32 raw bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def load_public_keys(keys: PublicKeys) -> list[Any]:
    """The caller's trusted keys as Ed25519PublicKey objects; a key that is not an ed25519
    public key is a SignatureError naming it."""
    ed25519 = _ed25519()
    from cryptography.hazmat.primitives import serialization

    loaded = []
    for key in keys:
        if isinstance(key, ed25519.Ed25519PublicKey):
            loaded.append(key)
            continue
        try:
            data = Path(key).read_bytes() if isinstance(key, Path) or (
                isinstance(key, str) and "-----BEGIN" not in key) else \
                (key.encode() if isinstance(key, str) else bytes(key))
            public = serialization.load_pem_public_key(data)
        except (OSError, ValueError, TypeError) as exc:
            raise SignatureError(f"trusted key {str(key)[:80]!r}: not a PEM public key "
                                 f"({exc})") from None
        if not isinstance(public, ed25519.Ed25519PublicKey):
            raise SignatureError(f"trusted key {str(key)[:80]!r}: not an ed25519 key")
        loaded.append(public)
    if not loaded:
        raise SignatureError("trusted_keys is empty: no artifact could be accepted")
    return loaded


def signature_document(manifest_bytes: bytes, private_key: Any) -> dict[str, str]:
    """The ``manifest.sig`` content for ``manifest_bytes`` signed with ``private_key``."""
    public = _raw(private_key.public_key())
    return {"algorithm": ALGORITHM,
            "public_key": base64.b64encode(public).decode(),
            "signature": base64.b64encode(private_key.sign(manifest_bytes)).decode()}


def verify_manifest_signature(folder: Path, manifest_bytes: bytes,
                              trusted_keys: PublicKeys) -> str:
    """Check ``folder``'s ``manifest.sig`` over ``manifest_bytes`` against ``trusted_keys``;
    returns the signer's fingerprint or raises SignatureError (unsigned, unknown signer,
    or a manifest that changed after signing)."""
    keys = load_public_keys(trusted_keys)
    path = folder / SIGNATURE_NAME
    try:
        document = json.loads(path.read_bytes())
        algorithm = document["algorithm"]
        signer = base64.b64decode(document["public_key"], validate=True)
        signature = base64.b64decode(document["signature"], validate=True)
    except FileNotFoundError:
        raise SignatureError(f"{folder}: the artifact is not signed ({SIGNATURE_NAME} is "
                             "missing) and trusted keys were given") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"{path}: unreadable signature ({type(exc).__name__}: {exc})"
                             ) from None
    if algorithm != ALGORITHM:
        raise SignatureError(f"{path}: signature algorithm {algorithm!r}, expected {ALGORITHM}")
    trusted = [key for key in keys if _raw(key) == signer]
    if not trusted:
        raise SignatureError(f"{folder}: signed by key {fingerprint(signer)}, which is not "
                             "among the trusted keys")
    from cryptography.exceptions import InvalidSignature

    try:
        trusted[0].verify(signature, manifest_bytes)
    except InvalidSignature:
        raise SignatureError(f"{folder}: the signature does not match manifest.json (it "
                             "changed after signing); refusing to load it") from None
    return fingerprint(signer)
