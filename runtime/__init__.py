"""paddlec's deployment runtime: load a compiled artifact and run it.

Depends on numpy and TVM's runtime library only; it never imports the compiler, the
passes, onnx or click, so a service installs just this and the TVM runtime.
"""

from ..errors import (
    ArtifactError,
    DeviceUnavailableError,
    ExecutionError,
    InputMismatchError,
    PaddlecError,
)
from .manifest import FORMAT_VERSION, Manifest, TensorSpec, read_manifest
from .model import Model, load

__all__ = [
    "FORMAT_VERSION",
    "ArtifactError",
    "DeviceUnavailableError",
    "ExecutionError",
    "InputMismatchError",
    "Manifest",
    "Model",
    "PaddlecError",
    "TensorSpec",
    "load",
    "read_manifest",
]
