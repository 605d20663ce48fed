"""The shared libraries an artifact's ``model.so`` links against (oneDNN's ``libdnnl.so.3``),
found in the Python package that ships them and loaded before ``model.so`` itself."""

from __future__ import annotations

import ctypes
from collections.abc import Mapping, Sequence

from ..errors import ArtifactError

__all__ = ["load_native_libraries"]


def load_native_libraries(entries: Sequence[Mapping[str, str]]) -> None:
    """``dlopen`` (RTLD_GLOBAL) each library of a manifest's ``native_libraries``, e.g.
    oneDNN's ``libdnnl.so.3`` from the ``onednn-cpu-gomp`` wheel, so that ``model.so``'s
    dependency on it resolves by soname. Looked up in the named Python package first, then
    by the system loader's search path."""
    import importlib.metadata

    # OMP_WAIT_POLICY is left to GNU OpenMP's default (spin briefly, then sleep). Measured
    # on an idle 2-core machine, 2 threads, batch 1, with TVM's thread binding off (see
    # paddlec/__init__.py): PASSIVE ResNet-18 14.8 ms / MobileNetV2 8.5 ms, default 13.4 /
    # 4.4 ms (onnxruntime 13.2 / 3.6). An earlier PASSIVE default was measured on a loaded
    # machine while TVM also pinned the OpenMP team to one core.
    for entry in entries:
        soname, package = entry["soname"], entry.get("package")
        candidates: list[str] = []
        try:
            dist = importlib.metadata.distribution(package) if package else None
        except importlib.metadata.PackageNotFoundError:
            dist = None
        if dist is not None:
            candidates += [str(dist.locate_file(f)) for f in dist.files or [] if f.name == soname]
        candidates.append(soname)
        errors = []
        for candidate in candidates:
            try:
                ctypes.CDLL(candidate, mode=ctypes.RTLD_GLOBAL)
                break
            except OSError as exc:
                errors.append(str(exc))
        else:
            raise ArtifactError(
                f"the artifact needs {soname} (pip install {package}): {'; '.join(errors)}"
            )
