"""CUDA builds on machines with nvcc but no GPU driver.

TVM decides whether it can create CUDA modules when its CUDA runtime library
(``libtvm_runtime_cuda.so``) loads; that library needs ``libcuda.so.1``, which only a GPU
driver installs. Without it TVM silently emits a CUDA-*source* module that no GPU host can
run. This package makes the build real and checks that it is:

- :mod:`.toolkit` finds the CUDA toolkit (``CUDA_PATH``) and its version;
- :mod:`.driver_stub` builds (once, cached) a stub ``libcuda.so.1`` with gcc and loads it,
  then loads TVM's CUDA runtime library into the compiling process;
- :mod:`.nvcc` compiles the generated kernels into one fatbin: SASS per listed architecture
  plus PTX of the newest;
- :mod:`.fatbin` lists the architectures inside a built ``model.so``;
- :mod:`.build` ties it together and fails loudly when no fatbin came out.
"""

from .fatbin import FatbinEntry, list_fatbin_entries
from .build import build_cuda_library

__all__ = ["FatbinEntry", "build_cuda_library", "list_fatbin_entries"]
