"""Child-process entry point of the compile cache: ``python -m
paddlec.inference._compile_worker '<json request>'``.

Runs ``compile_model`` with the request's plan and writes the artifact atomically. The
plan's ``cpu_fast_path`` (``enable_mkldnn`` / ``disable_mkldnn``) becomes
``compile_model(fast_path=...)`` when this compiler has a CPU library fast path; without
one there is nothing to switch and the target alone decides. A typed
failure is reported as one JSON line after ``ERROR_MARKER`` on stderr (exit 2 or 1), so the
parent re-raises the same error class; anything else exits non-zero with its traceback.
"""

from __future__ import annotations

import json
import sys

from ..errors import PaddlecError
from .cache import ERROR_MARKER

__all__ = ["main"]


def main(argv: list[str]) -> int:
    request = json.loads(argv[0])
    from ..compiler import CompileOptions, compile_model

    options = dict(request["options"])
    fast_path = request.get("cpu_fast_path")
    if fast_path is not None and "fast_path" in CompileOptions.__dataclass_fields__:
        options["fast_path"] = fast_path
    try:
        compile_model(
            request["model"],
            request["output"],
            target=request["target"],
            host=request["host"],
            opt_level=request["opt_level"],
            disabled_passes=tuple(request["disabled_passes"]),
            **options,
        )
    except PaddlecError as exc:
        sys.stderr.write(
            ERROR_MARKER + json.dumps({"type": type(exc).__name__, "message": str(exc)}) + "\n"
        )
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
