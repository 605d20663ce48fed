"""Import TVM's runtime-only library (``libtvm_runtime.so``), never the compiler.

``TVM_USE_RUNTIME_LIB=1`` before the first ``import tvm`` makes TVM load the 3 MB runtime
library instead of the 260 MB compiler library. If the process already imported the full TVM
(the compiler runs in this process, e.g. in tests), the full library serves the runtime too.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

__all__ = ["tvm_runtime"]


def tvm_runtime() -> ModuleType:
    """Return the ``tvm`` module, importing it in runtime-only mode when not loaded yet."""
    if "tvm" not in sys.modules:
        previous = os.environ.get("TVM_USE_RUNTIME_LIB")
        os.environ["TVM_USE_RUNTIME_LIB"] = "1"
        try:
            import tvm  # noqa: F401
        finally:
            if previous is None:
                del os.environ["TVM_USE_RUNTIME_LIB"]
            else:
                os.environ["TVM_USE_RUNTIME_LIB"] = previous
    import tvm
    import tvm.runtime.vm  # noqa: F401  (VirtualMachine is not imported by tvm.runtime)

    return tvm
