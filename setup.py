"""Package discovery only (metadata is in pyproject.toml): the repo root is the package
``paddlec``, so every folder with an ``__init__.py`` below it becomes ``paddlec.<folder>``."""

from setuptools import find_packages, setup

EXCLUDE = ["tests", "tests.*", "examples", "examples.*", "bench.out", "bench.out.*", "scripts", "scripts.*"]

setup(
    package_dir={"paddlec": "."},
    packages=["paddlec"] + [f"paddlec.{name}" for name in find_packages(".", exclude=EXCLUDE)],
    # the CPU fast path compiles its C++ kernels at compile time (compiler/cpu/native.py)
    package_data={"paddlec.compiler.cpu": ["kernels/*.cc", "kernels/*.h"]},
)
