"""A compiled library that this process already has loaded from the same path, in an older
version, must not be reused.

glibc's ``dlopen`` returns the handle of a library already loaded under the same file name
(a name it also records when a second path reaches an already loaded file), even when the
file there has since been replaced: an artifact recompiled into the same folder is swapped
in whole, and loading it would run the old code. ``dlopen(RTLD_NOLOAD)`` tells whether the
name is taken and ``dlinfo`` which file holds it; when that is not the file now at the path,
the library is loaded from a copy named after its sha256 in the temporary directory
(checked before use). The C runtime does the same (``predictor.cc``).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path

from .manifest import sha256_file

__all__ = ["loadable_library"]


_RTLD_LAZY, _RTLD_NOLOAD, _RTLD_DI_LINKMAP = 0x1, 0x4, 2


def _loaded_file(path: str) -> str | None:
    """The file behind the library this process has loaded under ``path``, if any."""
    libc = ctypes.CDLL(None)
    libc.dlopen.restype = ctypes.c_void_p
    libc.dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    handle = libc.dlopen(os.fsencode(path), _RTLD_LAZY | _RTLD_NOLOAD)
    if not handle:
        return None
    try:
        link_map = ctypes.c_void_p()
        libc.dlinfo.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        if libc.dlinfo(ctypes.c_void_p(handle), _RTLD_DI_LINKMAP, ctypes.byref(link_map)):
            return ""
        # struct link_map { ElfW(Addr) l_addr; char *l_name; ... }
        name = ctypes.c_char_p.from_address(link_map.value + ctypes.sizeof(ctypes.c_void_p))
        return os.fsdecode(name.value or b"")
    finally:
        libc.dlclose.argtypes = [ctypes.c_void_p]
        libc.dlclose(ctypes.c_void_p(handle))  # the reference RTLD_NOLOAD added


def _same_file(a: str, b: str) -> bool:
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def loadable_library(library: Path, sha256: str) -> Path:
    """``library``, or a copy of it when an older file of that path is loaded already."""
    real = os.path.realpath(library)
    loaded = _loaded_file(real)
    if loaded is None or _same_file(loaded, real):
        return library
    copy = Path(tempfile.gettempdir()) / f"paddlec-{sha256[:40]}-{library.name}"
    if not copy.is_file() or sha256_file(copy) != sha256:  # never trust what lies there
        with tempfile.NamedTemporaryFile(dir=copy.parent, prefix=".paddlec-",
                                         delete=False) as handle:
            with open(real, "rb") as source:
                shutil.copyfileobj(source, handle)
        os.replace(handle.name, copy)
    if sha256_file(copy) != sha256:
        raise OSError(f"{copy}: changed while it was written")
    return copy
