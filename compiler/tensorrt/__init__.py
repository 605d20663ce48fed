"""TensorRT BYOC: regions TensorRT can run become standalone ONNX graphs executed by the
runtime (``paddlec.runtime.tensorrt``); everything else is compiled with the CUDA target.

TVM 0.27 has the TensorRT pattern table but no TensorRT codegen or runtime, and TensorRT
cannot be installed on our build machines, so the regions leave the compiler as ONNX (what
TensorRT's parser reads) and call sites become calls to runtime-registered functions.
"""

from .partition import Region, fold_batch_norm, partition_for_regions

__all__ = ["Region", "fold_batch_norm", "partition_for_regions"]
