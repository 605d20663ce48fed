"""Find the CUDA toolkit that compiles the kernels, and its version."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ...errors import CompileError

__all__ = ["CudaToolkit", "find_toolkit"]


@dataclass(frozen=True)
class CudaToolkit:
    """A CUDA toolkit root (the folder holding ``include/cuda.h`` and ``bin/nvcc``)."""

    root: Path
    version: str  # "13.0.88" from nvcc --version, else "13.0" from cuda.h

    @property
    def nvcc(self) -> Path:
        return self.root / "bin" / "nvcc"


def _candidates() -> list[Path]:
    roots = [os.environ.get(name) for name in ("CUDA_PATH", "CUDA_HOME")]
    found = [Path(root) for root in roots if root]
    nvcc = shutil.which("nvcc")
    if nvcc:
        # ``nvcc`` on PATH may be a wrapper script (as on our CI image): try its real
        # location first, then the folder above it.
        found.append(Path(nvcc).resolve().parent.parent)
        found.extend(_wrapped_roots(Path(nvcc)))
    found.append(Path("/usr/local/cuda"))
    found.extend(sorted(Path("/usr/local").glob("cuda-*"), reverse=True))
    return found


def _wrapped_roots(script: Path) -> list[Path]:
    """Toolkit roots named inside a small shell wrapper (``exec /usr/local/cuda-13.0/bin/nvcc``)."""
    try:
        if script.stat().st_size > 4096:
            return []
        text = script.read_text(errors="replace")
    except OSError:
        return []
    return [Path(match).parent.parent for match in re.findall(r"(/\S+/bin/nvcc)\b", text)]


def _version(root: Path) -> str:
    try:
        out = subprocess.run([str(root / "bin" / "nvcc"), "--version"], capture_output=True,
                             text=True, timeout=60).stdout
        match = re.search(r"V(\d+\.\d+\.\d+)", out)
        if match:
            return match.group(1)
    except (OSError, subprocess.SubprocessError):
        pass
    header = (root / "include" / "cuda.h").read_text(errors="replace")
    match = re.search(r"#define\s+CUDA_VERSION\s+(\d+)", header)
    code = int(match.group(1)) if match else 0
    return f"{code // 1000}.{code % 1000 // 10}"


@functools.lru_cache(maxsize=1)
def find_toolkit() -> CudaToolkit:
    """The first toolkit root with ``include/cuda.h`` and ``bin/nvcc`` (``CUDA_PATH`` first)."""
    tried = []
    for root in _candidates():
        tried.append(str(root))
        if (root / "include" / "cuda.h").is_file() and (root / "bin" / "nvcc").is_file():
            return CudaToolkit(root=root.resolve(), version=_version(root))
    raise CompileError(
        "CUDA targets need the CUDA toolkit (nvcc); none found. Set CUDA_PATH to the toolkit "
        f"root (the folder with include/cuda.h). Tried: {', '.join(dict.fromkeys(tried))}"
    )
