"""Shared fixtures: the example model and a compiled artifact of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _helpers import EXAMPLE_MODEL

os.environ.setdefault("TVM_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def example_model() -> Path:
    return EXAMPLE_MODEL


@pytest.fixture(scope="session")
def example_artifact(tmp_path_factory) -> Path:
    """The example model compiled once for llvm (shared by tests that only read it)."""
    from paddlec.compiler import compile_model

    out = tmp_path_factory.mktemp("artifacts") / "resnet_tiny"
    compile_model(EXAMPLE_MODEL, out, target="llvm")
    return out
