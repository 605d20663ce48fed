"""Paddle Inference's Python API over paddlec artifacts: change the import, keep the code.

    from paddlec.inference import Config, create_predictor
    config = Config("./model")            # a model folder, or a compiled artifact folder
    predictor = create_predictor(config)  # compiles once into the cache, then loads
    predictor.get_input_handle("image").copy_from_cpu(x)
    predictor.run()
    y = predictor.get_output_handle("probs").copy_to_cpu()

This is a runtime-side package: it never imports the compiler, the passes, onnx or click,
and keeps TVM on its runtime-only library; compiling happens in a child process.
"""

from ..errors import (
    DeviceUnavailableError,
    InputMismatchError,
    PaddlecError,
    PredictorUsageError,
)
from .cache import default_cache_dir
from .config import SWITCHES, Config, PrecisionType
from .predictor import Predictor, create_predictor
from .tensor import DataType, PlaceType, Tensor

__all__ = [
    "SWITCHES",
    "Config",
    "DataType",
    "DeviceUnavailableError",
    "InputMismatchError",
    "PaddlecError",
    "PlaceType",
    "PrecisionType",
    "Predictor",
    "PredictorUsageError",
    "Tensor",
    "create_predictor",
    "default_cache_dir",
    "get_version",
]


def get_version() -> str:
    """paddlec's version (Paddle's ``get_version`` names the inference library)."""
    from .. import __version__

    return f"paddlec {__version__}"
