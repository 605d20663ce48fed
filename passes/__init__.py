"""Graph rewrites on the IR (``onnx_ir``), one pass per file, run by ``pipeline``."""

from .pipeline import PASSES, PassSpec, PassStat, count_nodes, run_pipeline, select_passes
from .verify import VerifyConfig

__all__ = ["PASSES", "PassSpec", "PassStat", "VerifyConfig", "count_nodes", "run_pipeline",
           "select_passes"]
