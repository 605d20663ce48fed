"""Sign artifacts with an ed25519 key (``paddlec keygen``, ``compile --sign``, ``sign``).

The private key is a PEM file (PKCS#8, unencrypted, as ``paddlec keygen`` or ``openssl
genpkey -algorithm ed25519`` write it); its public half (``KEY.pub``) is what a service passes
to ``paddlec.runtime.load(..., trusted_keys=[...])``. The signature covers the exact bytes
of ``manifest.json``, which lists the sha256 of every other file (runtime/signing.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ArtifactError, SignatureError
from ..runtime.manifest import MANIFEST_NAME
from ..runtime.signing import SIGNATURE_NAME, fingerprint, signature_document

__all__ = ["generate_key", "load_private_key", "sign_artifact"]


def _crypto():
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        from ..errors import MissingDependencyError

        raise MissingDependencyError(
            "signing needs the cryptography package (pip install 'paddlec[sign]')") from None
    return serialization, ed25519


def generate_key(path: str | Path) -> tuple[Path, Path, str]:
    """Write a new private key to ``path`` (mode 0600) and its public key to ``path.pub``;
    returns both paths and the key's fingerprint. Refuses to overwrite a file."""
    serialization, ed25519 = _crypto()
    private_path, public_path = Path(path), Path(f"{path}.pub")
    for existing in (private_path, public_path):
        if existing.exists():
            raise SignatureError(f"{existing}: exists; refusing to overwrite a key")
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public = key.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(public_pem)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private_path, public_path, fingerprint(raw)


def load_private_key(path: str | Path):
    """The ed25519 private key in the PEM file ``path``."""
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SignatureError(f"{path}: not an ed25519 private key")
    return key


def sign_artifact(folder: str | Path, key_path: str | Path) -> str:
    """Write ``folder/manifest.sig`` for its current ``manifest.json``; returns the key's
    fingerprint. The signature file is written to a temporary name and renamed."""
    folder = Path(folder)
    key = load_private_key(key_path)
    manifest = folder / MANIFEST_NAME
    try:
        data = manifest.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"{folder}: not an artifact folder ({exc})") from None
    document = signature_document(data, key)
    staging = folder / f".{SIGNATURE_NAME}.{os.getpid()}"
    staging.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    os.replace(staging, folder / SIGNATURE_NAME)
    from base64 import b64decode

    return fingerprint(b64decode(document["public_key"]))
