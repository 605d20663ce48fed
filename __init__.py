"""paddlec: compile trained networks (Paddle, ONNX) with TVM into self-describing artifacts.

Importing ``paddlec`` is cheap on purpose: the compiler (``paddlec.compiler``) and the
deployment runtime (``paddlec.runtime``) are separate subpackages, and a service that only
loads artifacts never imports the compiler side.
"""

import os as _os

# TVM binds the thread that creates its thread pool to core 0 (and its workers to the other
# cores). OpenMP threads that thread starts later, oneDNN's in model.so among them, inherit
# that one-core mask: measured ResNet-18 batch 1, 2 threads, 28.6 ms pinned vs 14.9 ms not
# pinned (1 thread: 27 ms). Set TVM_BIND_THREADS=1 yourself to get TVM's binding back.
_os.environ.setdefault("TVM_BIND_THREADS", "0")

__version__ = "0.1.0"

__all__ = ["__version__"]
