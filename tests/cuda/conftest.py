"""Fixtures for the CUDA tests: a toolkit check and a cuda artifact built once per session.

Everything here runs without a GPU: compiling needs nvcc (the CUDA toolkit) only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _helpers import EXAMPLE_MODEL

sys.path.insert(0, str(Path(__file__).parent))  # tests/cuda/_trt_models.py

CUDA_TARGET = "cuda -arch=sm_80,sm_90"


def _toolkit_or_skip():
    from paddlec.compiler.cuda.toolkit import find_toolkit
    from paddlec.errors import CompileError

    try:
        return find_toolkit()
    except CompileError as exc:
        pytest.skip(f"no CUDA toolkit: {exc}")


@pytest.fixture(scope="session")
def cuda_toolkit():
    return _toolkit_or_skip()


@pytest.fixture(scope="session")
def stub_cache(tmp_path_factory) -> Path:
    """A private cache dir so the tests also cover building the stub from scratch."""
    import os

    path = tmp_path_factory.mktemp("paddlec-cache")
    os.environ["PADDLEC_CACHE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def cuda_artifact(cuda_toolkit, stub_cache, tmp_path_factory) -> Path:
    """The example ResNet compiled for ``cuda -arch=sm_80,sm_90`` (no GPU needed)."""
    from paddlec.compiler import compile_model

    out = tmp_path_factory.mktemp("cuda") / "resnet_tiny_cuda"
    compile_model(EXAMPLE_MODEL, out, target=CUDA_TARGET)
    return out
