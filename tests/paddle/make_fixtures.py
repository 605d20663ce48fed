"""Regenerate the tiny committed Paddle fixtures in ``tests/paddle/fixtures/`` (needs Paddle).

    python tests/paddle/make_fixtures.py

Writes, for one small CNN (conv, batch norm, relu, max pool, depthwise conv, hardswish,
adaptive average pool, flatten, linear, softmax; dynamic batch, random BN statistics):
  tiny_pir/       inference.json + inference.pdiparams     (Paddle 3 default)
  tiny_pdmodel/   inference.pdmodel + inference.pdiparams  (legacy ProgramDesc)
  tiny_legacy_vars/  __model__ + one file per parameter    (oldest layout)
  io.npz          the input and Paddle Inference's outputs for it (the reference)
so that the readers and mappers are tested on real Paddle files even where Paddle is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"


def _build(fmt: str, out: Path) -> None:
    import paddle

    paddle.enable_static()
    paddle.seed(7)
    rng = np.random.default_rng(7)
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        x = paddle.static.data("image", [None, 3, 8, 8], "float32")
        conv = paddle.nn.Conv2D(3, 4, 3, padding=1)
        bn = paddle.nn.BatchNorm2D(4)
        dw = paddle.nn.Conv2D(4, 4, 3, padding=1, groups=4, bias_attr=False)
        fc = paddle.nn.Linear(4, 3)
        for layer in (conv, bn, dw, fc):
            layer.eval()
        y = paddle.nn.functional.relu(bn(conv(x)))
        y = paddle.nn.functional.max_pool2d(y, 2, 2)
        y = paddle.nn.functional.hardswish(dw(y))
        y = paddle.nn.functional.adaptive_avg_pool2d(y, 1)
        y = paddle.nn.functional.softmax(fc(paddle.flatten(y, 1)), axis=-1)
    exe = paddle.static.Executor(paddle.CPUPlace())
    exe.run(startup)
    scope = paddle.static.global_scope()
    for var, value in ((bn._mean, rng.normal(0, 0.3, 4)), (bn._variance, rng.uniform(0.5, 2, 4))):
        scope.find_var(var.name).get_tensor().set(value.astype("float32"), paddle.CPUPlace())
    paddle.static.save_inference_model(str(out / "inference"), [x], [y], exe, program=main)
    if fmt == "pdmodel":  # the oldest layout: __model__ + one file per persistable variable
        legacy = out.parent / "tiny_legacy_vars"
        legacy.mkdir(exist_ok=True)
        shutil.copy(out / "inference.pdmodel", legacy / "__model__")
        program = paddle.static.deserialize_program((out / "inference.pdmodel").read_bytes())
        paddle.static.io.save_vars(exe, str(legacy), main_program=program,
                                   predicate=lambda var: var.persistable
                                   and var.name not in ("feed", "fetch"))


def _reference() -> None:
    import paddle.inference as pi

    image = np.random.default_rng(3).standard_normal((2, 3, 8, 8)).astype(np.float32)
    outputs = {}
    for fmt, program in (("pir", "inference.json"), ("pdmodel", "inference.pdmodel")):
        folder = FIXTURES / f"tiny_{fmt}"
        config = pi.Config(str(folder / program), str(folder / "inference.pdiparams"))
        config.disable_gpu()
        predictor = pi.create_predictor(config)
        predictor.get_input_handle("image").copy_from_cpu(image)
        predictor.run()
        name = predictor.get_output_names()[0]
        outputs[f"{fmt}:{name}"] = predictor.get_output_handle(name).copy_to_cpu()
    np.savez(FIXTURES / "io.npz", image=image, **outputs)


def main() -> None:
    if len(sys.argv) == 3:
        _build(sys.argv[1], Path(sys.argv[2]))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "reference":
        _reference()
        return
    shutil.rmtree(FIXTURES, ignore_errors=True)
    FIXTURES.mkdir()
    for fmt in ("pir", "pdmodel"):
        out = FIXTURES / f"tiny_{fmt}"
        out.mkdir()
        env = dict(os.environ, FLAGS_enable_pir_api="0" if fmt == "pdmodel" else "1",
                   GLOG_minloglevel="2")
        subprocess.run([sys.executable, __file__, fmt, str(out)], env=env, check=True)
    subprocess.run([sys.executable, __file__, "reference"], check=True,
                   env=dict(os.environ, GLOG_minloglevel="2"))
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    print(f"wrote {FIXTURES} ({total / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
