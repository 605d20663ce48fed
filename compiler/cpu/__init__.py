"""The fast CPU path: oneDNN kernels linked into ``model.so``, CPU schedules, tuning.

``pipeline.build_cpu`` is what ``compiler/build.py`` runs for llvm targets; ``offload``
rewrites Relax to call the kernels, ``native`` compiles them, ``schedule`` gives the rest of
the TVM kernels parallel loops, ``tune`` writes MetaSchedule records.
"""

from .pipeline import build_cpu

__all__ = ["build_cpu"]
