"""paddlec: compile trained networks (Paddle, ONNX) with TVM into self-describing artifacts.

Importing ``paddlec`` is cheap on purpose: the compiler (``paddlec.compiler``) and the
deployment runtime (``paddlec.runtime``) are separate subpackages, and a service that only
loads artifacts never imports the compiler side.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
