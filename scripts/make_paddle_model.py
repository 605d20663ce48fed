"""Save a Paddle model by name (needs paddlepaddle, the ``test`` extra).

    python scripts/make_paddle_model.py resnet18 models/resnet18 [--format pir|pdmodel]
        [--batch N] [--image-size 224] [--seed 0]

NAME is a ``paddle.vision.models`` constructor (resnet18, mobilenet_v2, ...) or
``transformer_encoder``. Random weights, non-trivial batch-norm statistics; the folder gets
``inference.json`` (PIR, the default) or ``inference.pdmodel`` plus ``inference.pdiparams``.
Prints the saved files and the input spec as JSON. The work happens in
``tests/paddle/_paddle_models.py::save_paddle_model`` (a subprocess with the right flags).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "paddle"))

from _paddle_models import save_paddle_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--format", choices=("pir", "pdmodel"), default="pir")
    parser.add_argument("--batch", type=int, default=None, help="static batch (default dynamic)")
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    info = save_paddle_model(args.name, args.out_dir, fmt=args.format, batch=args.batch,
                             image_size=args.image_size, seed=args.seed)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
