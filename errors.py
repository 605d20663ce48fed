"""Typed errors shared by the compiler, the runtime and the CLI.

Every error a user can cause is a :class:`PaddlecError`. ``exit_code`` is what the CLI exits
with: 2 for bad usage or bad input (the user can fix it), 1 for an internal failure.
"""

from __future__ import annotations

__all__ = [
    "PaddlecError",
    "ModelLoadError",
    "UnsupportedModelError",
    "TargetError",
    "CompileError",
    "ArtifactError",
    "SignatureError",
    "InputMismatchError",
    "ExecutionError",
    "DeviceUnavailableError",
    "PredictorUsageError",
    "TensorRTUnavailableError",
    "PruneError",
    "PassVerificationError",
    "MissingDependencyError",
]


class PaddlecError(Exception):
    """Base class of all paddlec errors."""

    exit_code = 1


class ModelLoadError(PaddlecError):
    """The model file is missing, unreadable, truncated or not in a format we read."""

    exit_code = 2


class UnsupportedModelError(PaddlecError):
    """The model is valid but uses operators or features paddlec cannot compile (yet)."""

    exit_code = 2


class TargetError(PaddlecError):
    """The target string cannot be parsed or names an unknown option."""

    exit_code = 2


class CompileError(PaddlecError):
    """Lowering or building failed inside the compiler stack (an internal error)."""

    exit_code = 1


class ArtifactError(PaddlecError):
    """An artifact folder is missing, incomplete, of another format version or tampered with."""

    exit_code = 2


class SignatureError(ArtifactError):
    """Trusted keys were given and the artifact is unsigned, signed by another key, or its
    manifest changed after it was signed; or a signing key cannot be read."""

    exit_code = 2


class InputMismatchError(PaddlecError):
    """Inputs given to a model do not match its declared names, dtypes or shapes."""

    exit_code = 2


class ExecutionError(PaddlecError):
    """The compiled model failed while it ran: a kernel raised (an input the manifest's
    checks cannot see, a function this runtime lacks...). The message names the cause."""

    exit_code = 1


class DeviceUnavailableError(PaddlecError):
    """The requested device (e.g. ``cuda:0``) does not exist on this machine."""

    exit_code = 2


class PredictorUsageError(PaddlecError):
    """The predictor API is used out of order or with a setting paddlec cannot honour
    (reading an output before ``run()``, a precision mode we do not compile, ...)."""

    exit_code = 2


class TensorRTUnavailableError(DeviceUnavailableError):
    """An artifact with TensorRT regions was loaded where TensorRT cannot run them (no
    ``tensorrt`` package or no GPU) and it carries no TVM fallback (``--trt-fallback``)."""

    exit_code = 2


class PruneError(PaddlecError):
    """Feeds and targets do not define a computable subgraph (unknown name, or a target that
    needs a value that is neither fed nor a weight)."""

    exit_code = 2


class PassVerificationError(PaddlecError):
    """``--verify-passes``: a pass changed the outputs beyond tolerance (a paddlec bug)."""

    exit_code = 1


class MissingDependencyError(PaddlecError):
    """A feature needs an optional Python package that is not installed (the message names
    the pip extra that brings it)."""

    exit_code = 2
