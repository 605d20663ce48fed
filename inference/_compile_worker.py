"""Child-process entry point of the compile cache: ``python -m
paddlec.inference._compile_worker '<json request>'``.

Runs ``compile_model`` with the request's plan and writes the artifact atomically. A typed
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
    from ..compiler import compile_model

    try:
        compile_model(
            request["model"],
            request["output"],
            target=request["target"],
            host=request["host"],
            opt_level=request["opt_level"],
            disabled_passes=tuple(request["disabled_passes"]),
            **request["options"],
        )
    except PaddlecError as exc:
        sys.stderr.write(
            ERROR_MARKER + json.dumps({"type": type(exc).__name__, "message": str(exc)}) + "\n"
        )
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
